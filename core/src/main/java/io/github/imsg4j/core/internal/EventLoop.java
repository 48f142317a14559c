package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import org.newsclub.net.unix.AFUNIXSelectorProvider;

/**
 * One selector thread serving many channels: readiness events, tasks handed in from other threads, and
 * timers. Everything that touches a selection key runs here, so keys need no locking.
 *
 * <p>The selector is junixsocket's, which polls; see docs/architecture.md for why and what it costs.
 */
public final class EventLoop implements Executor {

	private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

	private static final int MIN_READ_BUFFER = 256 * 1024;

	/** Something that wants readiness events from the loop: the attachment of its selection key. */
	public interface Handler {

		/**
		 * The key's channel is ready.
		 *
		 * @param key the ready key, whose {@code readyOps()} say for what
		 */
		void onReady(SelectionKey key);

		/**
		 * The key became invalid: cancelled by its owner, or closed by junixsocket's selector on
		 * {@code POLLHUP}/{@code POLLERR}. In the second case the owner should read what is left and close.
		 *
		 * @param key the dead key
		 */
		void onInvalid(SelectionKey key);
	}

	private record Timer(long deadline, long seq, Runnable task) implements Comparable<Timer> {

		@Override
		public int compareTo(Timer o) {
			int c = Long.compare(this.deadline, o.deadline);
			return (c != 0) ? c : Long.compare(this.seq, o.seq);
		}
	}

	private final Selector selector;

	private final Thread thread;

	private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

	/** Set while the loop is awake or a wake-up is already on its way: then {@link #execute} need not wake it. */
	private final AtomicBoolean wakeupPending = new AtomicBoolean(true);

	private final PriorityQueue<Timer> timers = new PriorityQueue<>();

	private long timerSeq;

	/** Every key registered here, to find those the selector invalidated behind our back. */
	private final java.util.ArrayList<SelectionKey> registered = new java.util.ArrayList<>();

	private volatile boolean running = true;

	/** Shared by every channel of this loop: decoding happens on this thread only. */
	private ByteBuffer readBuffer = ByteBuffer.allocateDirect(MIN_READ_BUFFER).order(ByteOrder.nativeOrder());

	/**
	 * Opens a selector and starts the loop's thread (a daemon).
	 *
	 * @param name the thread's name
	 */
	public EventLoop(String name) {
		// Load now what the error paths need: out of descriptors, the JVM cannot open a class file to load them,
		// and a NoClassDefFoundError in the loop's own error handling would end the loop thread.
		preload(SafeLog.class, Timer.class, io.github.imsg4j.core.Fds.class, io.github.imsg4j.core.ImsgIoException.class,
				io.github.imsg4j.core.ImsgProtocolException.class, io.github.imsg4j.core.ImsgClosedException.class,
				io.github.imsg4j.core.ImsgFdException.class, io.github.imsg4j.core.Imsg.class, FdRelease.class);
		try {
			this.selector = AFUNIXSelectorProvider.provider().openSelector();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot open a selector for " + name, ex);
		}
		this.thread = new Thread(this::run, name);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private static void preload(Class<?>... classes) {
		for (Class<?> c : classes) {
			try {
				Class.forName(c.getName(), true, c.getClassLoader());
			}
			catch (ClassNotFoundException ex) {
				throw new IllegalStateException(ex);
			}
		}
	}

	/**
	 * Whether the caller runs on this loop's thread.
	 *
	 * @return {@code true} on the loop thread
	 */
	public boolean inLoop() {
		return Thread.currentThread() == this.thread;
	}

	/**
	 * Runs a task on the loop thread, soon. After the loop stopped, runs it on the caller's thread so that
	 * clean-up tasks are never lost.
	 */
	@Override
	public void execute(Runnable task) {
		if (!this.running) {
			task.run();
			return;
		}
		this.tasks.add(task);
		if (!inLoop() && this.wakeupPending.compareAndSet(false, true)) {
			this.selector.wakeup();
		}
	}

	/**
	 * Runs a task on the loop thread after a delay. Call on the loop thread.
	 *
	 * @param delayNanos the delay
	 * @param task the task
	 */
	public void schedule(long delayNanos, Runnable task) {
		this.timers.add(new Timer(System.nanoTime() + delayNanos, this.timerSeq++, task));
	}

	/**
	 * Registers a channel with this loop's selector. Call on the loop thread.
	 *
	 * @param channel a non-blocking junixsocket channel
	 * @param ops the initial interest set
	 * @param handler who handles its readiness
	 * @return the key
	 * @throws ClosedChannelException if the channel was closed meanwhile
	 */
	public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
		SelectionKey key = channel.register(this.selector, ops, handler);
		this.registered.add(key);
		return key;
	}

	/**
	 * The loop's read buffer, grown to hold at least {@code minCapacity} bytes. Call on the loop thread; valid
	 * until the next call.
	 *
	 * @param minCapacity the smallest capacity the caller needs
	 * @return a direct buffer in native order
	 */
	public ByteBuffer readBuffer(int minCapacity) {
		if (this.readBuffer.capacity() < minCapacity) {
			this.readBuffer = ByteBuffer.allocateDirect(minCapacity).order(ByteOrder.nativeOrder());
		}
		return this.readBuffer;
	}

	/** Stops the loop; channels still registered are left to their owners, who should close them first. */
	public void shutdown() {
		this.running = false;
		this.selector.wakeup();
	}

	private void run() {
		while (this.running) {
			try {
				long timeout = runTimers();
				// From here until select returns, a task handed in must wake the selector. Cleared before the task
				// check, so that a task added after the check finds it clear and wakes us; set again while the loop
				// is awake, so that tasks handed in meanwhile cost no wake-up write (they run at the end of the turn).
				this.wakeupPending.set(false);
				if (!this.tasks.isEmpty()) {
					this.selector.selectNow();
				}
				else if (timeout < 0) {
					this.selector.select();
				}
				else {
					this.selector.select(Math.max(1, timeout));
				}
				this.wakeupPending.set(true);
				processSelectedKeys();
				// O(keys) per turn, as junixsocket's selector already is (it rebuilds its pollfd array each time).
				processInvalidatedKeys();
				runTasks();
			}
			catch (ClosedSelectorException ex) {
				break;
			}
			catch (Throwable ex) {
				try {
					SafeLog.log(LOG, System.Logger.Level.ERROR,
							() -> "event loop " + this.thread.getName() + " caught an error", ex);
				}
				catch (Throwable reportingFailed) {
					// never let the error handling end the loop
				}
			}
		}
		try {
			this.selector.close();
		}
		catch (IOException ex) {
			// the loop is gone either way
		}
		runTasks();
	}

	private void processSelectedKeys() {
		Iterator<SelectionKey> it = this.selector.selectedKeys().iterator();
		while (it.hasNext()) {
			SelectionKey key = it.next();
			it.remove();
			if (!key.isValid()) {
				continue;
			}
			try {
				((Handler) key.attachment()).onReady(key);
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "handler failed on " + key.channel(), ex);
			}
		}
	}

	/** Tells handlers whose keys died (cancelled by their owner, or closed by the selector on a hang-up). */
	private void processInvalidatedKeys() {
		for (int i = this.registered.size() - 1; i >= 0; i--) {
			SelectionKey key = this.registered.get(i);
			if (!key.isValid()) {
				this.registered.remove(i);
				try {
					((Handler) key.attachment()).onInvalid(key);
				}
				catch (Throwable ex) {
					SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "handler failed on hang-up of " + key.channel(), ex);
				}
			}
		}
	}

	private void runTasks() {
		// A bounded batch: tasks added meanwhile wait for the next turn, so I/O is never starved.
		for (int n = this.tasks.size(); n > 0; n--) {
			Runnable task = this.tasks.poll();
			if (task == null) {
				return;
			}
			try {
				task.run();
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "task failed on " + this.thread.getName(), ex);
			}
		}
	}

	/** Runs due timers; returns milliseconds until the next one, or -1 if none. */
	private long runTimers() {
		long now = System.nanoTime();
		Timer next;
		while ((next = this.timers.peek()) != null && next.deadline() - now <= 0) {
			this.timers.poll();
			try {
				next.task().run();
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "timer failed on " + this.thread.getName(), ex);
			}
		}
		return (next == null) ? -1 : Math.max(1, (next.deadline() - now) / 1_000_000);
	}
}
