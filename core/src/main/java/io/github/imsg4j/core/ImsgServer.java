package io.github.imsg4j.core;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.JunixTransport;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * A listening UNIX socket whose accepted connections become {@link ImsgChannel}s.
 *
 * <p>Accepting happens on an event loop. For each connection the peer's credentials are read first; an
 * {@link ImsgAcceptHandler} can refuse the peer before a single byte of it is read. A server made without a
 * handler queues accepted channels for {@link #accept(Duration)}.
 *
 * <p>An existing path is handled safely: a socket that still has a server behind it is never taken over; a
 * dead socket (connection refused) is replaced; anything that is not a socket is never removed. On
 * {@link #close()} the server removes its socket file if the path still names the socket it created.
 * Accepted channels live on until closed by their owners.
 */
public final class ImsgServer implements AutoCloseable, EventLoop.Handler {

	private static final System.Logger LOG = System.getLogger(ImsgServer.class.getName());

	/** How long accepting pauses after the process ran out of descriptors, so that it does not spin. */
	private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final Path path;

	private final ChannelOptions options;

	private final @Nullable ImsgAcceptHandler handler;

	private final AFUNIXServerSocketChannel socket;

	private final @Nullable Object fileKey;

	private final EventLoop loop;

	private final @Nullable LinkedBlockingQueue<ImsgChannel> accepted;

	private volatile boolean open = true;

	private @Nullable SelectionKey key;

	private ImsgServer(Path path, ChannelOptions options, @Nullable ImsgAcceptHandler handler,
			AFUNIXServerSocketChannel socket, @Nullable Object fileKey) {
		this.path = path;
		this.options = options;
		this.handler = handler;
		this.socket = socket;
		this.fileKey = fileKey;
		this.loop = options.loops().next();
		this.accepted = (handler == null) ? new LinkedBlockingQueue<>() : null;
		this.loop.execute(this::register);
	}

	/**
	 * Listens on {@code path}; accepted channels wait for {@link #accept(Duration)} and queue their messages
	 * for {@link ImsgChannel#receive}.
	 *
	 * @param path the socket's path
	 * @param options how accepted channels speak
	 * @return the listening server
	 * @throws ImsgIoException when the path is taken by a live server or a non-socket, or binding fails
	 */
	public static ImsgServer listen(Path path, ChannelOptions options) {
		return listen(path, options, null);
	}

	/**
	 * Listens on {@code path}, asking {@code handler} about every connection.
	 *
	 * @param path the socket's path
	 * @param options how accepted channels speak
	 * @param handler decides whether and how to serve each peer, or {@code null} to queue channels for
	 *        {@link #accept(Duration)}
	 * @return the listening server
	 * @throws ImsgIoException when the path is taken by a live server or a non-socket, or binding fails
	 */
	public static ImsgServer listen(Path path, ChannelOptions options, @Nullable ImsgAcceptHandler handler) {
		removeStaleSocket(path);
		AFUNIXServerSocketChannel socket = null;
		try {
			socket = AFUNIXServerSocketChannel.open();
			// junixsocket would delete the path on close even if another server has since replaced it; we check first.
			socket.socket().setDeleteOnClose(false);
			socket.bind(AFUNIXSocketAddress.of(path));
			Object fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
			socket.configureBlocking(false);
			return new ImsgServer(path, options, handler, socket, fileKey);
		}
		catch (IOException ex) {
			ImsgChannel.closeQuietly(socket);
			throw new ImsgIoException("cannot listen on " + path + ": " + ex.getMessage(), ex);
		}
	}

	/** Removes a socket file that no server answers on; refuses to touch a live socket or a non-socket. */
	private static void removeStaleSocket(Path path) {
		BasicFileAttributes attrs;
		try {
			attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
		}
		catch (IOException ex) {
			return; // nothing there
		}
		if (!attrs.isOther()) {
			throw new ImsgIoException("cannot listen on " + path + ": it exists and is not a socket; not removing it");
		}
		try (AFUNIXSocketChannel probe = AFUNIXSocketChannel.open()) {
			probe.connect(AFUNIXSocketAddress.of(path));
			throw new ImsgIoException("cannot listen on " + path + ": another server is listening there");
		}
		catch (SocketException ex) {
			// connection refused: nobody listens, the socket is stale
			try {
				Files.deleteIfExists(path);
			}
			catch (IOException deleteFailed) {
				throw new ImsgIoException("cannot remove stale socket " + path + ": " + deleteFailed.getMessage(),
						deleteFailed);
			}
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot probe existing socket " + path + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * @return the path the server listens on
	 */
	public Path path() {
		return this.path;
	}

	/**
	 * Takes the next accepted channel, waiting up to {@code timeout}. Only for servers made without a handler.
	 *
	 * @param timeout the longest wait
	 * @return the channel, or {@code null} if none came in time
	 */
	public @Nullable ImsgChannel accept(Duration timeout) {
		LinkedBlockingQueue<ImsgChannel> queue = this.accepted;
		if (queue == null) {
			throw new IllegalStateException("this server hands connections to its handler; accept() is for servers without one");
		}
		try {
			return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
	}

	private void register() {
		if (!this.open) {
			return;
		}
		try {
			this.key = this.loop.register(this.socket, SelectionKey.OP_ACCEPT, this);
		}
		catch (ClosedChannelException ex) {
			this.open = false;
		}
	}

	@Override
	public void onReady(SelectionKey k) {
		for (int i = 0; i < 64 && this.open; i++) {
			AFUNIXSocketChannel client;
			try {
				client = this.socket.accept();
			}
			catch (IOException ex) {
				if (!this.open) {
					return;
				}
				// EMFILE/ENFILE: pause accepting instead of spinning on a connection we cannot take.
				LOG.log(System.Logger.Level.WARNING, "accept on " + this.path + " failed: " + ex.getMessage()
						+ "; pausing accepts for 100 ms");
				k.interestOps(0);
				this.loop.schedule(ACCEPT_BACKOFF_NANOS, () -> {
					if (this.open && k.isValid()) {
						k.interestOps(SelectionKey.OP_ACCEPT);
					}
				});
				return;
			}
			if (client == null) {
				return;
			}
			serve(client);
		}
	}

	@Override
	public void onInvalid(SelectionKey k) {
		// the listening socket was closed
	}

	private void serve(AFUNIXSocketChannel client) {
		JunixTransport transport;
		try {
			transport = new JunixTransport(client, this.options.fdPassing());
		}
		catch (IOException ex) {
			LOG.log(System.Logger.Level.WARNING, "dropping connection on " + this.path + ": " + ex.getMessage());
			ImsgChannel.closeQuietly(client);
			return;
		}
		PeerCredentials peer = transport.peerCredentials();
		if (this.handler == null) {
			this.accepted.add(new ImsgChannel(transport, this.options, null, this.path.toString()));
			return;
		}
		ImsgListener listener;
		try {
			listener = this.handler.accept(peer);
		}
		catch (RuntimeException ex) {
			LOG.log(System.Logger.Level.WARNING, "accept handler failed for peer " + peer + " on " + this.path, ex);
			listener = null;
		}
		if (listener == null) {
			ImsgChannel.closeQuietly(transport);
			return;
		}
		new ImsgChannel(transport, this.options, listener, this.path.toString());
	}

	/**
	 * Stops listening and removes the socket file if it is still the one this server created. Channels already
	 * accepted stay open; those still waiting for {@link #accept(Duration)} are aborted.
	 */
	@Override
	public void close() {
		if (!this.open) {
			return;
		}
		this.open = false;
		ImsgChannel.closeQuietly(this.socket);
		this.loop.execute(() -> {
			if (this.key != null) {
				this.key.cancel();
			}
		});
		try {
			BasicFileAttributes attrs = Files.readAttributes(this.path, BasicFileAttributes.class,
					LinkOption.NOFOLLOW_LINKS);
			if (this.fileKey != null && this.fileKey.equals(attrs.fileKey())) {
				Files.deleteIfExists(this.path);
			}
		}
		catch (IOException ex) {
			// already gone
		}
		if (this.accepted != null) {
			ImsgChannel pending;
			while ((pending = this.accepted.poll()) != null) {
				pending.abort();
			}
		}
	}
}
