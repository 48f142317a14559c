package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * One imsg connection over a UNIX stream socket: the {@code imsgbuf} of OpenBSD's API.
 *
 * <p><b>Sending.</b> {@link #compose} and its relatives queue a message ({@code imsg_compose}); queued
 * messages are written in batches by the channel's event loop soon after, or at once by {@link #flush()}. A
 * message with a descriptor, which needs a {@code sendmsg} of its own, is written by the sending thread itself
 * when nothing is queued before it (without waiting: a full socket leaves it to the loop).
 * The queue is bounded ({@link ChannelOptions#writeQueueLimit()}): a sender waits for room for up to
 * {@link ChannelOptions#sendTimeout()}, or uses {@link #tryCompose} to learn that the queue is full. All
 * sending methods are thread-safe.
 *
 * <p><b>Receiving.</b> A channel made with an {@link ImsgListener} hands it every message on its event-loop
 * thread. A channel made without one queues messages for {@link #receive(Duration)}, and stops reading
 * from the socket while {@link ChannelOptions#receiveQueueCapacity()} messages wait.
 *
 * <p><b>Closing.</b> {@link #close()} stops new sends, flushes what is queued (up to
 * {@link ChannelOptions#closeTimeout()}) and closes; {@link #abort()} closes at once and discards the queue.
 * Either way every descriptor the channel owns is closed. A protocol error or socket error closes this
 * channel only.
 *
 * <p>This class is the public face; the work is done by a {@link ChannelSender} (the write queue and its lock,
 * any thread) and a {@link ChannelReader} (the loop's or the caller's thread), with {@link ChannelInbox} and
 * {@link ReceivedFds} for what waits to be taken.
 */
public final class ImsgChannel implements AutoCloseable {

	private static final System.Logger LOG = System.getLogger(ImsgChannel.class.getName());

	private static final AtomicInteger IDS = new AtomicInteger();

	private static final ByteBuffer[] NO_PARTS = new ByteBuffer[0];

	/**
	 * The most descriptors one write queue holds. Each is an open file until sent: without a bound, a fast sender
	 * of fd messages to a slow reader runs the process out of descriptors (EMFILE) long before the byte limit.
	 */
	public static final int MAX_QUEUED_FDS = 128;

	private final Transport transport;

	private final EventLoop loop;

	private final ChannelOptions options;

	private final int id;

	/** Where the connection came from (a path, "pair", "raw"); with {@link #id}, the makings of {@link #name()}. */
	private final String origin;

	/** Built on first use: thousands of idle connections need not each hold a string nobody reads. */
	private @Nullable String name;

	private final @Nullable ImsgListener listener;

	private final ImsgBudget budget;

	/** Log lines about this peer, counted against the connection's and the limiter's shares. */
	private final PeerLogLimiter.Connection warnings;

	private final ChannelSender sender;

	/** Messages for {@link #receive}; {@code null} when a listener takes them. */
	private final @Nullable ChannelInbox inbox;

	private final ChannelReader reader;

	private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

	/** Bytes booked by {@link #holdReceived}: received messages the listener's application still keeps. */
	private final AtomicLong heldReceived = new AtomicLong();

	/** Set by {@link #closeWhenFlushed()}; cleared by the close. */
	private volatile @Nullable CloseDeadline closeDeadline;

	/** Loop thread only. */
	private Poller.@Nullable Registration key;

	/** The loop's view of this channel; not the channel's own methods, so that they stay out of its public API. */
	private final EventLoop.Handler readiness = new EventLoop.Handler() {

		@Override
		public void onReady(int readyOps) {
			ImsgChannel.this.onReady(readyOps);
		}

		@Override
		public void onInvalid() {
			ImsgChannel.this.onInvalid();
		}
	};

	/**
	 * Builds the channel's parts; nothing outside it sees the channel before {@link #open} starts it, so that the
	 * budget's eviction scan and the loop never meet a channel whose sender or reader is not yet assigned.
	 */
	private ImsgChannel(Transport transport, ChannelOptions options, @Nullable ImsgListener listener, String origin) {
		this.transport = transport;
		this.options = options;
		this.loop = options.loops().next();
		this.id = IDS.incrementAndGet();
		this.origin = origin;
		this.budget = options.effectiveBudget();
		this.warnings = options.effectiveLogLimiter().connection();
		this.listener = listener;
		this.inbox = (listener == null) ? new ChannelInbox(this, this.budget) : null;
		this.reader = ChannelReader.of(this, transport, this.loop, options, this.budget, this.warnings, listener,
				this.inbox);
		this.sender = new ChannelSender(this, transport, this.loop, options, this.budget, !this.reader.loopReads());
	}

	/**
	 * The one way a channel comes to be: built whole, then shown to the budget and registered with its loop.
	 *
	 * @param transport the connected socket, owned by the channel from now on (closed here when refused)
	 */
	static ImsgChannel open(Transport transport, ChannelOptions options, @Nullable ImsgListener listener,
			String origin) {
		if (options.callerReads() && listener != null) {
			transport.close();
			checkCallerReads(options, true);
		}
		ImsgChannel channel = new ImsgChannel(transport, options, listener, origin);
		channel.budget.track(channel);
		channel.loop.execute(channel::register);
		return channel;
	}

	/**
	 * Connects to a listening socket; received messages wait for {@link #receive}.
	 *
	 * @param path the socket's path
	 * @param options how to speak
	 * @return the connected channel
	 * @throws ImsgIoException when the connection fails
	 */
	public static ImsgChannel connect(Path path, ChannelOptions options) {
		return connect(path, options, null);
	}

	/**
	 * Connects to a listening socket.
	 *
	 * @param path the socket's path
	 * @param options how to speak
	 * @param listener who receives messages, or {@code null} to queue them for {@link #receive}
	 * @return the connected channel
	 * @throws ImsgIoException when the connection fails
	 */
	public static ImsgChannel connect(Path path, ChannelOptions options, @Nullable ImsgListener listener) {
		checkCallerReads(options, listener != null);
		try {
			return ImsgChannel.open(SocketLayer.get().connect(path, options.fdPassing()), options, listener,
					path.toString());
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot connect to " + path + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * A channel over a connected socket this process was given: one end of a {@code socketpair(2)} a
	 * privilege-separating parent left at a fixed descriptor before exec ({@code imsgbuf_init(&ibuf, 3)} in
	 * OpenBSD's daemons), or a connection systemd accepted for this process. The channel owns the descriptor
	 * from now on and closes it when it closes.
	 *
	 * @param fd the descriptor number
	 * @param options how to speak
	 * @param listener who receives messages, or {@code null} to queue them for {@link #receive}
	 * @return the channel
	 * @throws ImsgIoException when {@code fd} is not a connected {@code AF_UNIX} stream socket (saying what it is)
	 */
	public static ImsgChannel inherited(int fd, ChannelOptions options, @Nullable ImsgListener listener) {
		checkCallerReads(options, listener != null);
		InheritedSockets.check(fd, false);
		try {
			return ImsgChannel.open(SocketLayer.get().adopt(fd, options.fdPassing()), options, listener, "fd " + fd);
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot use descriptor " + fd + " as an imsg channel: " + ex.getMessage(), ex);
		}
	}

	/**
	 * {@link #inherited(int, ChannelOptions, ImsgListener)} for a descriptor held as a {@link FileDescriptor}.
	 *
	 * @param fd the descriptor, owned by the channel from now on
	 * @param options how to speak
	 * @param listener who receives messages, or {@code null} to queue them for {@link #receive}
	 * @return the channel
	 * @throws ImsgIoException when {@code fd} is not a connected {@code AF_UNIX} stream socket
	 */
	public static ImsgChannel inherited(FileDescriptor fd, ChannelOptions options, @Nullable ImsgListener listener) {
		checkCallerReads(options, listener != null);
		try {
			int n = SocketLayer.get().number(fd);
			InheritedSockets.check(n, false);
			// Adopted through this very object, which closes it in the end: a second object for the same number
			// could be closed under us when this one is collected.
			return ImsgChannel.open(SocketLayer.get().adopt(fd, options.fdPassing()), options, listener, "fd " + n);
		}
		catch (IOException ex) {
			throw new ImsgIoException("not a usable descriptor: " + ex.getMessage(), ex);
		}
	}

	/**
	 * The channel to the parent that started this process as an {@link ImsgChildProcess}, or as OpenBSD's
	 * {@code proc.c} starts its children: the socket named in {@code IMSG4J_RENDEZVOUS} when the parent could not
	 * pass a descriptor (Java 17-21), else the descriptor in {@code IMSG4J_FD}, else {@code defaultFd}.
	 *
	 * @param defaultFd the descriptor to use when no variable names one (3 for {@code proc.c}'s children)
	 * @param options how to speak
	 * @param listener who receives messages, or {@code null} to queue them for {@link #receive}
	 * @return the channel
	 * @throws ImsgIoException when there is no such socket
	 */
	public static ImsgChannel fromParent(int defaultFd, ChannelOptions options, @Nullable ImsgListener listener) {
		String rendezvous = System.getenv(io.github.imsg4j.core.internal.Spawner.RENDEZVOUS_VARIABLE);
		if (rendezvous != null && !rendezvous.isEmpty()) {
			return connect(Path.of(rendezvous), options, listener);
		}
		String fd = System.getenv(io.github.imsg4j.core.internal.Spawner.FD_VARIABLE);
		int n = defaultFd;
		if (fd != null && !fd.isEmpty()) {
			try {
				n = Integer.parseInt(fd);
			}
			catch (NumberFormatException ex) {
				throw new ImsgIoException("IMSG4J_FD is '" + fd + "', not a descriptor number");
			}
		}
		return inherited(n, options, listener);
	}

	/**
	 * A connected pair of channels in this process, as {@code socketpair(2)} gives, both speaking the same options.
	 *
	 * @param options how both ends speak
	 * @param first the first end's listener, or {@code null} to queue for {@link #receive}
	 * @param second the second end's listener, or {@code null} to queue for {@link #receive}
	 * @return both ends
	 */
	public static Pair pair(ChannelOptions options, @Nullable ImsgListener first, @Nullable ImsgListener second) {
		checkCallerReads(options, first != null || second != null);
		Transport[] ends;
		try {
			ends = SocketLayer.get().pair(options.fdPassing());
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot create a socket pair: " + ex.getMessage(), ex);
		}
		return new Pair(ImsgChannel.open(ends[0], options, first, "pair-1"),
				ImsgChannel.open(ends[1], options, second, "pair-2"));
	}

	/**
	 * A connected pair with both ends queueing for {@link #receive}.
	 *
	 * @param options how both ends speak
	 * @return both ends
	 */
	public static Pair pair(ChannelOptions options) {
		return pair(options, null, null);
	}

	/** Refuses {@link ChannelOptions#callerReads()} with a listener, before any socket is made. */
	static void checkCallerReads(ChannelOptions options, boolean listener) {
		if (options.callerReads() && listener) {
			throw new IllegalArgumentException("callerReads is for channels without a listener: receive() reads, and "
					+ "a channel with a listener has no receive()");
		}
	}

	static void closeQuietly(@Nullable AutoCloseable c) {
		if (c != null) {
			try {
				c.close();
			}
			catch (Exception ex) {
				// already failing
			}
		}
	}

	/** Both ends of a {@link #pair}. @param first one end @param second the other end */
	public record Pair(ImsgChannel first, ImsgChannel second) implements AutoCloseable {

		/** Aborts both ends. */
		@Override
		public void close() {
			this.first.abort();
			this.second.abort();
		}
	}

	// ---------------------------------------------------------------- identity

	/**
	 * A name for logs and error messages: a number, the path or origin, and the peer's credentials.
	 *
	 * @return the channel's name
	 */
	public String name() {
		String n = this.name;
		if (n == null) {
			n = "imsg#" + this.id + "[" + this.origin + ", peer " + this.transport.peerCredentials() + "]";
			this.name = n;
		}
		return n;
	}

	/**
	 * The peer's credentials, read from the kernel once when the connection was made.
	 *
	 * @return pid, uid, gid and groups of the peer
	 */
	public PeerCredentials peerCredentials() {
		return this.transport.peerCredentials();
	}

	/**
	 * The options the channel was made with.
	 *
	 * @return the options
	 */
	public ChannelOptions options() {
		return this.options;
	}

	/**
	 * @return the wire format spoken on this channel
	 */
	public WireFormat wireFormat() {
		return this.options.wireFormat();
	}

	/**
	 * @return the largest message sent or accepted, header included
	 */
	public int maxMessageSize() {
		return this.options.maxMessageSize();
	}

	/**
	 * @return {@code true} until the channel starts closing
	 */
	public boolean isOpen() {
		return this.sender.isOpen();
	}

	/**
	 * Completes when the channel has closed: normally after an orderly close by either side, exceptionally with
	 * the error that closed it.
	 *
	 * @return the future
	 */
	public CompletableFuture<Void> closeFuture() {
		return this.closeFuture;
	}

	@Override
	public String toString() {
		return name();
	}

	/** Bytes read from the socket so far (for tests that must know a read happened). */
	long bytesReceived() {
		return this.reader.bytesRead();
	}

	// ---------------------------------------------------------------- sending

	/**
	 * Queues a message made of the given parts ({@code imsg_composev}), waiting for room for up to the send
	 * timeout. A pid of 0 is replaced by this process's pid, as imsg does.
	 *
	 * @param type message type
	 * @param peerid peer id
	 * @param pid process id to put in the header, 0 for this process's
	 * @param fd a descriptor to send with the message, or {@code null}; on success the channel owns it as
	 *        {@link OutboundFd} says, on failure it stays the caller's
	 * @param parts the payload, in order; their remaining bytes are copied, their positions left alone
	 * @throws ImsgSizeException when the message would exceed the maximum size
	 * @throws ImsgQueueFullException when no room came within the send timeout
	 * @throws ImsgClosedException when the channel is closed or closing
	 */
	public void compose(int type, int peerid, int pid, @Nullable OutboundFd fd, ByteBuffer... parts) {
		this.sender.enqueue(type, peerid, pid, fd, null, parts, this.options.sendTimeout().toNanos());
	}

	/**
	 * Queues a message with a one-part payload ({@code imsg_compose}); as {@link #compose(int, int, int, OutboundFd,
	 * ByteBuffer...)}, without the array a variable-arity call allocates, so that a steady sender allocates nothing.
	 *
	 * @param type message type
	 * @param peerid peer id
	 * @param pid process id to put in the header, 0 for this process's
	 * @param fd a descriptor to send with the message, or {@code null}; owned as {@link OutboundFd} says on success
	 * @param payload the payload; its remaining bytes are copied, its position left alone
	 * @throws ImsgSizeException when the message would exceed the maximum size
	 * @throws ImsgQueueFullException when no room came within the send timeout
	 * @throws ImsgClosedException when the channel is closed or closing
	 */
	public void compose(int type, int peerid, int pid, @Nullable OutboundFd fd, ByteBuffer payload) {
		this.sender.enqueue(type, peerid, pid, fd, payload, NO_PARTS, this.options.sendTimeout().toNanos());
	}

	/**
	 * Like {@link #compose}, but never waits.
	 *
	 * @param type message type
	 * @param peerid peer id
	 * @param pid process id to put in the header, 0 for this process's
	 * @param fd a descriptor to send, or {@code null}; stays the caller's if this returns {@code false}
	 * @param parts the payload, in order
	 * @return {@code false} if the write queue is full
	 */
	public boolean tryCompose(int type, int peerid, int pid, @Nullable OutboundFd fd, ByteBuffer... parts) {
		try {
			this.sender.enqueue(type, peerid, pid, fd, null, parts, 0);
			return true;
		}
		catch (ImsgQueueFullException ex) {
			return false;
		}
	}

	/**
	 * Queues a message with peer id 0 and this process's pid.
	 *
	 * @param type message type
	 * @param payload the payload
	 */
	public void send(int type, byte[] payload) {
		compose(type, 0, 0, null, ByteBuffer.wrap(payload));
	}

	/**
	 * Starts a message to fill piece by piece ({@code imsg_create}); {@link ImsgBuilder#close()} queues it.
	 *
	 * @param type message type
	 * @param peerid peer id
	 * @param pid process id to put in the header, 0 for this process's
	 * @param fd a descriptor to send, or {@code null}
	 * @return the builder
	 */
	public ImsgBuilder create(int type, int peerid, int pid, @Nullable OutboundFd fd) {
		return new ImsgBuilder(this, type, peerid, pid, fd, 64);
	}

	/**
	 * Re-sends a received message with its type, peer id, pid and payload, but not its descriptor
	 * ({@code imsg_forward}).
	 *
	 * @param message the message to forward; it is not closed
	 */
	public void forward(Imsg message) {
		compose(message.type(), message.peerId(), message.pid(), null, message.payload());
	}

	/**
	 * Waits until the write queue has room for a message of the channel's maximum size.
	 *
	 * @param timeout the longest wait
	 * @return {@code true} if there is room, {@code false} if the wait ran out
	 * @throws ImsgClosedException when the channel closes meanwhile
	 */
	public boolean awaitRoom(Duration timeout) {
		return this.sender.awaitRoom(timeout);
	}

	/**
	 * Messages queued and not yet completely written ({@code imsgbuf_queuelen}).
	 *
	 * @return the number of queued messages
	 */
	public int queueLength() {
		return this.sender.queueLength();
	}

	/**
	 * @return bytes queued and not yet written
	 */
	public long queuedBytes() {
		return this.sender.queuedBytes();
	}

	/**
	 * Writes as much of the queue as the socket takes now, on the caller's thread; the event loop writes the
	 * rest when the socket has room again ({@code imsgbuf_write}).
	 */
	public void flush() {
		this.sender.flush();
	}

	/**
	 * Writes the whole queue, waiting up to {@code timeout} for the peer to read ({@code imsgbuf_flush}).
	 *
	 * @param timeout the longest wait
	 * @return {@code true} when everything was written, {@code false} if the wait ran out
	 * @throws ImsgClosedException when the channel closed before everything was written
	 */
	public boolean flush(Duration timeout) {
		return this.sender.flush(timeout);
	}

	// ---------------------------------------------------------------- receiving

	/**
	 * Takes the next received message, waiting up to {@code timeout}. Only for channels made without a
	 * listener. The caller owns the message and should close it.
	 *
	 * @param timeout the longest wait
	 * @return the message, or {@code null} if none came in time
	 * @throws ImsgClosedException once the peer closed (or the channel failed) and every message before that
	 *         has been taken; its cause says why it failed, if it did
	 */
	public @Nullable Imsg receive(Duration timeout) {
		ChannelInbox in = this.inbox;
		if (in == null) {
			throw new IllegalStateException(name() + " delivers to a listener; receive() is for channels without one");
		}
		ChannelReader r = this.reader;
		if (r instanceof CallerReader caller) {
			return caller.receive(timeout.toNanos());
		}
		Imsg message = in.take(timeout.toNanos());
		if (message != null) {
			((LoopReader) r).taken(in.size());
		}
		return message;
	}

	// ---------------------------------------------------------------- event loop side

	private void register() {
		assert this.loop.confinedHere() : "loop-confined";
		if (this.sender.isClosed()) {
			return;
		}
		Poller.Registration k;
		try {
			k = this.loop.register(this.transport, this.reader.loopReads() ? Poller.READ : 0, this.readiness);
		}
		catch (IOException ex) {
			closeNow(new ImsgIoException(name() + ": socket closed before registration", ex), false);
			return;
		}
		this.key = k;
		this.reader.registered(k);
		this.sender.registered(k);
		if (this.listener != null) {
			try {
				this.listener.onOpen(this);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> name() + ": listener onOpen failed", ex);
			}
		}
	}

	private void onReady(int ready) {
		assert this.loop.confinedHere() : "loop-confined";
		try {
			if ((ready & Poller.READ) != 0 && this.reader instanceof LoopReader r) {
				r.readAvailable(false);
			}
			Poller.Registration k = this.key;
			if ((ready & Poller.WRITE) != 0 && k != null && k.isValid()) {
				this.sender.flushFromLoop();
			}
		}
		catch (Throwable unexpected) {
			// An Error half-way through a read (out of memory, a class that cannot be loaded without a free
			// descriptor) leaves the decoder in an unknown state: end this connection rather than leave it hanging.
			fail(new ImsgIoException(name() + ": failed: " + unexpected, unexpected));
		}
	}

	private void onInvalid() {
		assert this.loop.confinedHere() : "loop-confined";
		// The peer hung up and the poller dropped our registration: everything the peer sent is in the socket now.
		if (!(this.reader instanceof LoopReader r)) {
			return; // receive() reads it all and then the end of stream, as it would without the hang-up
		}
		if (!isClosed()) {
			r.readAvailable(true);
		}
		if (!isClosed()) {
			peerClosed();
		}
	}

	/**
	 * Stops reading from the socket until {@link #resumeReading()}, so that a listener which hands messages to
	 * slower workers can push back on the peer instead of queueing without bound. Messages already read are
	 * still delivered; the peer's writes fill the socket buffer and then wait.
	 */
	public void pauseReading() {
		this.loop.execute(() -> this.reader.suspend(ChannelReader.PAUSED_BY_OWNER));
	}

	/**
	 * {@link #pauseReading()}, telling when it took effect.
	 *
	 * @return completes once reading has stopped, on the event loop: every message read before then has been
	 *         delivered (and the listener told {@link ImsgListener#onReadComplete}); a graceful shutdown waits for
	 *         it before it waits for handlers
	 */
	public CompletableFuture<Void> pauseReadingAsync() {
		CompletableFuture<Void> applied = new CompletableFuture<>();
		this.loop.execute(() -> {
			this.reader.suspend(ChannelReader.PAUSED_BY_OWNER);
			applied.complete(null);
		});
		return applied;
	}

	/** Reads from the socket again after {@link #pauseReading()}. */
	public void resumeReading() {
		this.loop.execute(() -> this.reader.resume(ChannelReader.PAUSED_BY_OWNER));
	}

	/**
	 * Orderly close that never blocks: refuses new messages, and closes once the event loop has written
	 * everything queued, or after the close timeout if the peer does not read it.
	 */
	public void closeWhenFlushed() {
		if (!this.sender.startClosing(true)) {
			return;
		}
		CloseDeadline deadline = new CloseDeadline(this);
		this.closeDeadline = deadline;
		this.loop.execute(() -> {
			this.loop.schedule(this.options.closeTimeout().toNanos(), deadline);
			this.sender.flushFromLoop();
		});
	}

	/**
	 * The close timeout of {@link #closeWhenFlushed()}, a timer on the loop. It lets go of the channel as soon as
	 * the channel closes: otherwise the loop's timer queue would keep every connection that closed in the last
	 * close timeout (its buffers, session, socket objects), which a peer that connects and leaves in a loop
	 * could turn into memory without bound.
	 */
	private static final class CloseDeadline implements Runnable {

		private volatile @Nullable ImsgChannel channel;

		CloseDeadline(ImsgChannel channel) {
			this.channel = channel;
		}

		@Override
		public void run() {
			ImsgChannel c = this.channel;
			if (c != null) {
				c.closeNow(new ImsgClosedException(c.name() + ": closed with " + c.queueLength()
						+ " messages still queued after " + c.options.closeTimeout()), true);
			}
		}

		void clear() {
			this.channel = null;
		}
	}

	/** The peer closed (or shut down its write side and the listener let go): close after a last write. */
	void peerClosed() {
		// Write what the socket still takes; a peer that only shut down its write side may read it.
		this.sender.writeQueued();
		closeNow(null, false);
	}

	boolean isClosed() {
		return this.sender.isClosed();
	}

	ImsgClosedException closedException() {
		return this.sender.closedException();
	}

	/**
	 * Bytes this channel holds of its budget, queued to write and waiting for {@link #receive}. Takes each lock
	 * briefly: called from another connection's thread, which holds none of its own then.
	 */
	long budgetedBytes() {
		ChannelInbox in = this.inbox;
		return this.sender.budgetedBytes() + ((in != null) ? in.bytes() : 0) + this.heldReceived.get();
	}

	/**
	 * Books {@code bytes} of received messages that the listener's application keeps after
	 * {@link ImsgListener#onMessage} returned (a queue of handler tasks, say) against this channel's budget, so
	 * that they count as this connection's: when the budget is full, the connection holding the most of it, these
	 * bytes included, is closed to make room, and this one only when it holds the most. A listener that keeps
	 * messages should give them back when {@link ImsgListener#onClose} reports an {@link ImsgLimitException}
	 * (the budget closed this connection to make room for another's).
	 *
	 * @param bytes bytes to hold, not negative
	 * @return {@code false}, holding nothing, when the budget has no room even after closing every connection that
	 *         held more than this one (what is left is held by this one, or by connections already closing): the
	 *         caller should stop reading from this connection until it holds less
	 */
	public boolean holdReceived(long bytes) {
		if (bytes < 0) {
			throw new IllegalArgumentException("bytes must not be negative: " + bytes);
		}
		while (!this.budget.tryReserveBytes(bytes)) {
			if (!this.budget.evictLargestBut(this, bytes)) {
				return false;
			}
		}
		this.heldReceived.addAndGet(bytes);
		return true;
	}

	/**
	 * Gives back bytes booked with {@link #holdReceived}.
	 *
	 * @param bytes bytes held earlier, not negative
	 */
	public void releaseReceived(long bytes) {
		if (bytes < 0 || this.heldReceived.addAndGet(-bytes) < 0) {
			throw new IllegalStateException(name() + ": released " + bytes + " bytes more than were held");
		}
		this.budget.releaseBytes(bytes);
	}

	/**
	 * What closing this channel would give back to the budget at once: everything it holds while open; once
	 * closed, only messages waiting for {@link #receive} (a write in flight keeps its bytes until it completes).
	 */
	long evictableBytes() {
		if (!isClosed()) {
			return budgetedBytes();
		}
		ChannelInbox in = this.inbox;
		return (in != null) ? in.bytes() : 0;
	}

	/**
	 * Closed by the shared budget, as the connection holding the most of it: what it holds is dropped at once
	 * (queued writes and messages waiting for {@link #receive}), so that the asker finds room.
	 */
	void evict(ImsgLimitException why) {
		this.warnings.log(LOG, System.Logger.Level.WARNING, why::getMessage, null);
		closeNow(why, true);
	}

	/** Closes the channel for an error of its own (its peer's input, its socket, a bound it went over). */
	void fail(Throwable cause) {
		if (!isClosed()) {
			SafeLog.log(LOG, System.Logger.Level.DEBUG, () -> name() + " failed: " + cause.getMessage(), null);
		}
		closeNow(cause, false);
	}

	// ---------------------------------------------------------------- closing

	/**
	 * Orderly close: refuses new messages, writes what is queued (up to the close timeout), then closes the
	 * socket. Messages not yet taken with {@link #receive} are closed. Safe to call more than once.
	 */
	@Override
	public void close() {
		if (!this.sender.startClosing(false)) {
			if (isClosed()) {
				// closed by the peer or an error: still discard untaken messages, and wait for the socket
				closeNow(null, true);
				awaitClosed();
			}
			return;
		}
		boolean flushed;
		try {
			flushed = flush(this.options.closeTimeout());
		}
		catch (ImsgClosedException ex) {
			flushed = true; // closed meanwhile by the peer or an error: nothing left to do
		}
		closeNow(flushed ? null : new ImsgClosedException(name() + ": closed with " + queueLength()
				+ " messages still queued after " + this.options.closeTimeout()), true);
		awaitClosed();
	}

	/** Closes at once, discarding queued messages; descriptors the channel owns are closed when this returns. */
	public void abort() {
		closeNow(null, true);
		awaitClosed(); // also when it was already closed: the loop may not have closed the socket yet
	}

	/**
	 * Closes now: the queue is discarded, the socket closed on the loop.
	 *
	 * @param local whether this process closed it (its owner, a timeout, the budget): untaken messages are then
	 *        closed too, where a peer's close leaves them for {@link #receive}
	 */
	void closeNow(@Nullable Throwable cause, boolean local) {
		ChannelInbox in = this.inbox;
		CloseDeadline deadline = this.closeDeadline;
		if (deadline != null) {
			deadline.clear();
		}
		if (!this.sender.markClosed(cause)) {
			if (local && in != null) {
				// The peer closed first and messages wait for receive(); the owner is done with them now.
				in.discard();
			}
			return;
		}
		// On the loop: the registration goes first (epoll_ctl names the number, which must still be this socket's),
		// then what the reader holds, then the socket, whose number the transport gives back once no read or write
		// in progress on another thread still uses it (junixsocket's received descriptors untied first). The close
		// future completes only then, so that whoever waits for it knows the descriptors are gone.
		this.loop.execute(() -> {
			Poller.Registration k = this.key;
			if (k != null) {
				k.cancel();
			}
			this.reader.stop();
			this.transport.close();
			// Whoever ended the last use may be a sending thread inside its write: dependents run on the loop.
			CompletableFuture.allOf(this.transport.released(), this.reader.stopped)
					.whenComplete((v, ex) -> this.loop.execute(() -> completeClose(cause)));
		});
		if (in != null) {
			if (local) {
				in.discard();
			}
			in.end();
		}
		untrackOnceEmpty();
		if (this.listener != null) {
			try {
				this.listener.onClose(this, cause);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> name() + ": listener onClose failed", ex);
			}
		}
	}

	/** On the loop (or any thread once it stopped): the socket's number and the reader's leftovers are gone. */
	private void completeClose(@Nullable Throwable cause) {
		if (cause == null) {
			this.closeFuture.complete(null);
		}
		else {
			this.closeFuture.completeExceptionally(cause);
		}
	}

	/**
	 * A closed channel leaves the budget's holders once it has nothing left to give back: until then (messages
	 * still waiting for {@link #receive}) the budget may still evict it to make room.
	 */
	void untrackOnceEmpty() {
		if (isClosed() && evictableBytes() == 0) {
			this.budget.untrack(this);
		}
	}

	/** After a local close, off the loop: returns once the socket's descriptors are closed. */
	private void awaitClosed() {
		if (this.loop.inLoop()) {
			return; // the loop closes it right after the current task
		}
		try {
			this.closeFuture.get(this.options.closeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(1),
					TimeUnit.NANOSECONDS);
		}
		catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
			// closed with an error (already reported through the future), or the loop is stuck: nothing to add
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}
}
