package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.ListeningSocket;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * A listening UNIX socket whose accepted connections become {@link ImsgChannel}s.
 *
 * <p>Accepting happens on an event loop. For each connection the peer's credentials are read first; an
 * {@link ImsgAcceptHandler} can refuse the peer before a single byte of it is read. A server made without a
 * handler queues accepted channels for {@link #accept(Duration)}.
 *
 * <p>An existing path is handled safely: only a socket of this user's that refuses connections is replaced;
 * a live server's socket, one we may not connect to, another user's, and anything that is not a socket are
 * never removed. A directory another user could replace the socket in is refused (see
 * {@link ListenOptions#directoryCheck()}). On {@link #close()} the server removes its socket file if the path
 * still names the socket it created.
 * Accepted channels live on until closed by their owners.
 */
public final class ImsgServer implements AutoCloseable {

	private static final System.Logger LOG = System.getLogger(ImsgServer.class.getName());

	/** How long accepting pauses after the process ran out of descriptors, so that it does not spin. */
	private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final Path path;

	private final ChannelOptions options;

	private final @Nullable ImsgAcceptHandler handler;

	private final ListeningSocket socket;

	private final @Nullable Object fileKey;

	/** The private directory the socket was bound in, when it had to stay (see {@link SocketFiles#bindPrivately}). */
	private final @Nullable Path privateDir;

	private final EventLoop loop;

	private final @Nullable LinkedBlockingQueue<ImsgChannel> accepted;

	private volatile boolean open = true;

	private Poller.@Nullable Registration key;

	/** The loop's view of this server; not the server's own methods, so that they stay out of its public API. */
	private final EventLoop.Handler readiness = new EventLoop.Handler() {

		@Override
		public void onReady(int readyOps) {
			acceptWaiting();
		}

		@Override
		public void onInvalid() {
			// the listening socket was closed
		}
	};

	private ImsgServer(Path path, ChannelOptions options, @Nullable ImsgAcceptHandler handler,
			ListeningSocket socket, @Nullable Object fileKey, @Nullable Path privateDir) {
		this.path = path;
		this.privateDir = privateDir;
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
		return listen(path, options, ListenOptions.defaults(), handler);
	}

	/**
	 * Listens on {@code path} with the given socket-file options, asking {@code handler} about every connection.
	 *
	 * @param path the socket's path
	 * @param options how accepted channels speak
	 * @param listen the socket file's mode, group, backlog and stale-socket policy
	 * @param handler decides whether and how to serve each peer, or {@code null} to queue channels for
	 *        {@link #accept(Duration)}
	 * @return the listening server
	 * @throws ImsgIoException when the path is taken by a live server or a non-socket, or binding fails
	 */
	public static ImsgServer listen(Path path, ChannelOptions options, ListenOptions listen,
			@Nullable ImsgAcceptHandler handler) {
		ImsgChannel.checkCallerReads(options, handler != null);
		if (listen.directoryCheck()) {
			SocketFiles.checkDirectory(path);
		}
		SocketFiles.removeLeftovers(path);
		SocketFiles.removeStaleSocket(path, listen.staleSocket());
		ListeningSocket socket = null;
		try {
			socket = SocketLayer.get().openListening();
			Set<PosixFilePermission> mode = (listen.mode() != null) ? listen.mode() : SocketFiles.umaskMode();
			Path privateDir = SocketFiles.bindPrivately(socket, path, mode, listen.group(), listen.backlog());
			Object fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
			return new ImsgServer(path, options, handler, socket, fileKey, privateDir);
		}
		catch (IOException | UnsupportedOperationException ex) {
			ImsgChannel.closeQuietly(socket);
			throw new ImsgIoException("cannot listen on " + path + ": " + ex, ex);
		}
	}

	/**
	 * A server over a listening socket this process was given (by a parent, or by systemd). The socket file,
	 * if any, is not ours: it is never removed, and its mode is whoever made it chose.
	 *
	 * @param fd the listening socket's descriptor, owned by the server from now on
	 * @param options how accepted channels speak
	 * @param handler decides whether and how to serve each peer, or {@code null} to queue channels for
	 *        {@link #accept(Duration)}
	 * @return the server
	 * @throws ImsgIoException when {@code fd} is not a listening {@code AF_UNIX} stream socket (saying what it is)
	 */
	public static ImsgServer inherited(int fd, ChannelOptions options, @Nullable ImsgAcceptHandler handler) {
		ImsgChannel.checkCallerReads(options, handler != null);
		InheritedSockets.UnixSocket info = InheritedSockets.check(fd, true);
		ListeningSocket socket = null;
		try {
			socket = SocketLayer.get().adoptListening(fd);
			Path path = info.path().isEmpty() ? Path.of("/proc/self/fd/" + fd) : Path.of(info.path());
			return new ImsgServer(path, options, handler, socket, null, null);
		}
		catch (IOException ex) {
			ImsgChannel.closeQuietly(socket);
			throw new ImsgIoException("cannot listen on descriptor " + fd + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * A server over the listening socket systemd passed to this process (socket activation).
	 *
	 * @param name the socket's {@code FileDescriptorName=}, or {@code null} when systemd passed exactly one
	 * @param options how accepted channels speak
	 * @param handler decides whether and how to serve each peer, or {@code null} to queue channels for
	 *        {@link #accept(Duration)}
	 * @return the server
	 * @throws ImsgIoException when this process was not socket-activated ({@code LISTEN_FDS}, {@code LISTEN_PID}),
	 *         no socket has that name, or the socket is not a listening {@code AF_UNIX} stream socket
	 */
	public static ImsgServer activated(@Nullable String name, ChannelOptions options,
			@Nullable ImsgAcceptHandler handler) {
		return inherited(InheritedSockets.activated(name), options, handler);
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
			this.key = this.loop.register(this.socket, Poller.ACCEPT, this.readiness);
		}
		catch (IOException ex) {
			this.open = false;
		}
	}

	private void acceptWaiting() {
		Poller.Registration k = this.key;
		if (k == null) {
			return;
		}
		for (int i = 0; i < 64 && this.open; i++) {
			Transport client;
			try {
				client = this.socket.accept(this.options.fdPassing());
			}
			catch (IOException ex) {
				if (!this.open) {
					return;
				}
				// EMFILE/ENFILE: pause accepting instead of spinning on a connection we cannot take.
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> "accept on " + this.path + " failed: " + ex.getMessage()
						+ "; pausing accepts for 100 ms", null);
				pauseAccepting(k);
				return;
			}
			if (client == null) {
				return;
			}
			serve(client);
		}
	}

	private void pauseAccepting(Poller.Registration k) {
		k.interestOps(0);
		this.loop.schedule(ACCEPT_BACKOFF_NANOS, () -> {
			if (this.open && k.isValid()) {
				k.interestOps(Poller.ACCEPT);
			}
		});
	}

	/** Hands an accepted connection to the queue or the handler. */
	private void serve(Transport transport) {
		PeerCredentials peer = transport.peerCredentials();
		if (this.handler == null) {
			ImsgChannel channel = ImsgChannel.open(transport, this.options, null, this.path.toString());
			this.accepted.add(channel);
			// close() may have drained the queue between our accept and this add: then nobody would ever take or
			// close this one. close() clears open before it drains, so one of the two sees the other.
			if (!this.open && this.accepted.remove(channel)) {
				channel.abort();
			}
			return;
		}
		ImsgListener listener;
		try {
			listener = this.handler.accept(peer);
		}
		catch (RuntimeException ex) {
			SafeLog.log(LOG, System.Logger.Level.WARNING, () -> "accept handler failed for peer " + peer + " on " + this.path, ex);
			listener = null;
		}
		if (listener == null) {
			transport.close();
			return;
		}
		ImsgChannel.open(transport, this.options, listener, this.path.toString());
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
		// Closed on the loop, which alone accepts on it: closed here, its number could be reused for another
		// descriptor before the loop's next accept4. Runs at once if the loop has stopped.
		this.loop.execute(() -> {
			if (this.key != null) {
				this.key.cancel();
			}
			ImsgChannel.closeQuietly(this.socket);
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
		if (this.privateDir != null) {
			SocketFiles.removePrivateDir(this.privateDir);
		}
		if (this.accepted != null) {
			ImsgChannel pending;
			while ((pending = this.accepted.poll()) != null) {
				pending.abort();
			}
		}
	}
}
