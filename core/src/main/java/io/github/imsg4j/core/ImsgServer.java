package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.JunixTransport;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketChannel;

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
public final class ImsgServer implements AutoCloseable, EventLoop.Handler {

	private static final System.Logger LOG = System.getLogger(ImsgServer.class.getName());

	/** How long accepting pauses after the process ran out of descriptors, so that it does not spin. */
	private static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	private final Path path;

	private final ChannelOptions options;

	private final @Nullable ImsgAcceptHandler handler;

	private final AFUNIXServerSocketChannel socket;

	private final @Nullable Object fileKey;

	/** The private directory the socket was bound in, when it had to stay (see {@link SocketFiles#bindPrivately}). */
	private final @Nullable Path privateDir;

	private final EventLoop loop;

	private final @Nullable LinkedBlockingQueue<ImsgChannel> accepted;

	private volatile boolean open = true;

	/** The descriptor of an inherited socket, which junixsocket's cast channel leaves open: closed on close. */
	private java.io.@Nullable FileDescriptor castFrom;

	private @Nullable SelectionKey key;

	private ImsgServer(Path path, ChannelOptions options, @Nullable ImsgAcceptHandler handler,
			AFUNIXServerSocketChannel socket, @Nullable Object fileKey, @Nullable Path privateDir) {
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
		if (listen.directoryCheck()) {
			SocketFiles.checkDirectory(path);
		}
		SocketFiles.removeLeftovers(path);
		SocketFiles.removeStaleSocket(path, listen.staleSocket());
		AFUNIXServerSocketChannel socket = null;
		try {
			socket = AFUNIXServerSocketChannel.open();
			// junixsocket would delete the path on close even if another server has since replaced it; we check first.
			socket.socket().setDeleteOnClose(false);
			Set<PosixFilePermission> mode = (listen.mode() != null) ? listen.mode() : SocketFiles.umaskMode();
			Path privateDir = SocketFiles.bindPrivately(socket, path, mode, listen.group(), listen.backlog());
			Object fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
			socket.configureBlocking(false);
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
		InheritedSockets.UnixSocket info = InheritedSockets.check(fd, true);
		AFUNIXServerSocketChannel socket = null;
		try {
			socket = org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(fd).as(AFUNIXServerSocketChannel.class);
			socket.socket().setDeleteOnClose(false);
			socket.configureBlocking(false);
			Path path = info.path().isEmpty() ? Path.of("/proc/self/fd/" + fd) : Path.of(info.path());
			ImsgServer server = new ImsgServer(path, options, handler, socket, null, null);
			server.castFrom = socket.getFileDescriptor();
			return server;
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
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> "accept on " + this.path + " failed: " + ex.getMessage()
						+ "; pausing accepts for 100 ms", null);
				pauseAccepting(k);
				return;
			}
			if (client == null) {
				return;
			}
			if (!serve(client)) {
				// Accepted, but no descriptor left to set it up (EMFILE at dup): the peer was closed; pause, or every
				// waiting connection would be accepted and dropped in turn while descriptors stay short.
				pauseAccepting(k);
				return;
			}
		}
	}

	private void pauseAccepting(SelectionKey k) {
		k.interestOps(0);
		this.loop.schedule(ACCEPT_BACKOFF_NANOS, () -> {
			if (this.open && k.isValid()) {
				k.interestOps(SelectionKey.OP_ACCEPT);
			}
		});
	}

	@Override
	public void onInvalid(SelectionKey k) {
		// the listening socket was closed
	}

	/** Sets up an accepted connection; {@code false} if it had to be dropped for want of resources. */
	private boolean serve(AFUNIXSocketChannel client) {
		JunixTransport transport;
		try {
			transport = new JunixTransport(client, this.options.fdPassing());
		}
		catch (IOException ex) {
			SafeLog.log(LOG, System.Logger.Level.WARNING,
					() -> "dropping connection on " + this.path + ": " + ex.getMessage() + "; pausing accepts for 100 ms",
					null);
			ImsgChannel.closeQuietly(client);
			return false;
		}
		PeerCredentials peer = transport.peerCredentials();
		if (this.handler == null) {
			ImsgChannel channel = new ImsgChannel(transport, this.options, null, this.path.toString());
			this.accepted.add(channel);
			// close() may have drained the queue between our accept and this add: then nobody would ever take or
			// close this one. close() clears open before it drains, so one of the two sees the other.
			if (!this.open && this.accepted.remove(channel)) {
				channel.abort();
			}
			return true;
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
			ImsgChannel.closeQuietly(transport);
			return true;
		}
		new ImsgChannel(transport, this.options, listener, this.path.toString());
		return true;
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
		if (this.castFrom != null) {
			Fds.closeQuietly(this.castFrom);
		}
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
