package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;

import org.newsclub.net.unix.AFUNIXSelectorProvider;

/**
 * {@link Poller} over junixsocket's selector, which calls {@code poll(2)} with every registered descriptor on
 * each turn; see docs/architecture.md for what that costs. On {@code POLLHUP} it invalidates the key itself,
 * which this poller reports through {@link EventLoop.Handler#onInvalid()}.
 */
final class SelectorPoller implements Poller {

	private static final System.Logger LOG = System.getLogger(SelectorPoller.class.getName());

	private final Selector selector;

	/** Every key registered here, to find those the selector invalidated behind our back. */
	private final ArrayList<SelectionKey> registered = new ArrayList<>();

	SelectorPoller() throws IOException {
		this.selector = AFUNIXSelectorProvider.provider().openSelector();
	}

	@Override
	public Registration register(Object socket, int ops, EventLoop.Handler handler) throws IOException {
		SelectableChannel channel = (socket instanceof JunixTransport t) ? t.selectable()
				: ((JunixSocketLayer.Listening) socket).channel();
		SelectionKey key = channel.register(this.selector, ops, handler);
		this.registered.add(key);
		return new KeyRegistration(key);
	}

	@Override
	public void poll(long timeoutMillis) throws IOException {
		if (timeoutMillis == 0) {
			this.selector.selectNow();
		}
		else if (timeoutMillis < 0) {
			this.selector.select();
		}
		else {
			this.selector.select(timeoutMillis);
		}
		Iterator<SelectionKey> it = this.selector.selectedKeys().iterator();
		while (it.hasNext()) {
			SelectionKey key = it.next();
			it.remove();
			if (!key.isValid()) {
				continue;
			}
			try {
				((EventLoop.Handler) key.attachment()).onReady(key.readyOps());
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "handler failed on " + key.channel(), ex);
			}
		}
		// O(keys) per turn, as junixsocket's selector already is (it rebuilds its pollfd array each time).
		for (int i = this.registered.size() - 1; i >= 0; i--) {
			SelectionKey key = this.registered.get(i);
			if (!key.isValid()) {
				this.registered.remove(i);
				if (key.attachment() == null) {
					continue; // cancelled by its owner, who need not hear of it
				}
				try {
					((EventLoop.Handler) key.attachment()).onInvalid();
				}
				catch (Throwable ex) {
					SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "handler failed on hang-up of " + key.channel(), ex);
				}
			}
		}
	}

	@Override
	public void wakeup() {
		this.selector.wakeup();
	}

	@Override
	public void close() throws IOException {
		this.selector.close();
	}

	/** A selection key as a {@link Poller.Registration}. */
	private record KeyRegistration(SelectionKey key) implements Registration {

		@Override
		public int interestOps() {
			return this.key.interestOps();
		}

		@Override
		public void interestOps(int ops) {
			if (this.key.interestOps() != ops) {
				this.key.interestOps(ops);
			}
		}

		@Override
		public boolean isValid() {
			return this.key.isValid();
		}

		@Override
		public void cancel() {
			// detached first, so that the poller does not report a cancellation its owner asked for
			this.key.attach(null);
			this.key.cancel();
		}
	}
}
