package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;
import io.github.imsg4j.core.internal.WriteQueue;
import org.jspecify.annotations.Nullable;

/**
 * One imsg connection over a UNIX stream socket: the {@code imsgbuf} of OpenBSD's API.
 *
 * <p><b>Sending.</b> {@link #compose} and its relatives queue a message ({@code imsg_compose}); queued
 * messages are written in batches by the channel's event loop soon after, or at once by {@link #flush()}.
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
 */
public final class ImsgChannel implements AutoCloseable {

	private static final System.Logger LOG = System.getLogger(ImsgChannel.class.getName());

	private static final int OWN_PID = (int) ProcessHandle.current().pid();

	private static final AtomicInteger IDS = new AtomicInteger();

	private static final Object END = new Object();

	private static final ByteBuffer[] NO_PARTS = new ByteBuffer[0];

	private static final int OPEN = 0;

	private static final int CLOSING = 1;

	private static final int CLOSED = 2;

	/**
	 * The most descriptors one write queue holds. Each is an open file until sent: without a bound, a fast sender
	 * of fd messages to a slow reader runs the process out of descriptors (EMFILE) long before the byte limit.
	 */
	public static final int MAX_QUEUED_FDS = 128;

	/** Reads per connection per loop turn; a read takes at most 64 KiB more than the largest message. */
	private static final int READS_PER_TURN = 64;

	private final Transport transport;

	private final EventLoop loop;

	private final ChannelOptions options;

	private final int id;

	/** Where the connection came from (a path, "pair", "raw"); with {@link #id}, the makings of {@link #name()}. */
	private final String origin;

	/** Built on first use: thousands of idle connections need not each hold a string nobody reads. */
	private @Nullable String name;

	private final FrameDecoder decoder;

	private final @Nullable ImsgListener listener;

	/** Messages for {@link #receive}, then {@link #END}; {@code null} when a listener takes them. */
	private final @Nullable LinkedBlockingQueue<Object> inbox;

	private final ReentrantLock lock = new ReentrantLock();

	/** Signalled whenever the write queue shrinks or the channel closes. */
	private final Condition drained = this.lock.newCondition();

	private final WriteQueue queue = new WriteQueue();

	/** The queue's bytes as reserved from {@link #budget}; guarded by {@link #lock}. */
	private long budgetedWriteBytes;

	/** The one write in flight; whoever {@link WriteQueue#nextWrite} handed it to uses it, without the lock. */
	private final WriteQueue.Write write = new WriteQueue.Write();

	private volatile int state = OPEN;

	private volatile @Nullable Throwable closeCause;

	private final AtomicBoolean flushScheduled = new AtomicBoolean();

	private final Runnable flushTask = this::flushFromLoop;

	private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();

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

	/** Why reading is paused: {@link #PAUSED_BY_OWNER} and/or {@link #PAUSED_FOR_FDS}; reads only at 0. Written on the loop. */
	private volatile int readPaused;

	/** Paused by {@link #pauseReading()} or a full {@link #receive} queue. */
	private static final int PAUSED_BY_OWNER = 1;

	/** Paused while the connection holds {@link ChannelOptions#maxReceivedFds()} received descriptors. */
	private static final int PAUSED_FOR_FDS = 2;

	/** The peer sent its end of stream and the listener keeps the channel open to reply: never read again. */
	private static final int INPUT_CLOSED = 4;

	/** Set by {@link #closeWhenFlushed()}: the loop closes the channel once the write queue is empty. */
	private volatile boolean closeWhenEmpty;

	private final ImsgBudget budget;

	/** Bytes this channel reserved from {@link #budget} for its {@link #inbox}; guarded by the inbox's monitor. */
	private long inboxBytes;

	/** Descriptors this channel reserved from {@link #budget}; guarded by this channel's monitor. */
	private int reservedFds;

	/** Log lines about this peer, counted against the connection's and the limiter's shares. */
	private final PeerLogLimiter.Connection warnings;

	/** Loop thread only: the listener got a message since its last {@link ImsgListener#onReadComplete}. */
	private boolean deliveredInRead;

	/**
	 * Delivered messages whose descriptor the socket still has registered (see {@link Imsg#takeFd()}), weakly: a
	 * message dropped without close() is still closed by its Cleaner. Made with the first such message (an idle
	 * connection does without); guarded by this channel's monitor, which nothing else uses.
	 */
	private @Nullable WeakHashMap<Imsg, Boolean> attached;

	/** Set by a local close: messages still arriving for {@link #receive} are closed, not queued. */
	private volatile boolean discardInbox;

	ImsgChannel(Transport transport, ChannelOptions options, @Nullable ImsgListener listener, String origin) {
		this.transport = transport;
		this.options = options;
		this.loop = options.loops().next();
		this.id = IDS.incrementAndGet();
		this.origin = origin;
		this.budget = options.effectiveBudget();
		this.budget.track(this);
		this.warnings = options.effectiveLogLimiter().connection();
		this.decoder = new FrameDecoder(this, options.wireFormat(), options.maxMessageSize(), this.warnings);
		this.listener = listener;
		this.inbox = (listener == null) ? new LinkedBlockingQueue<>() : null;
		this.loop.execute(this::register);
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
		try {
			return new ImsgChannel(SocketLayer.get().connect(path, options.fdPassing()), options, listener,
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
		InheritedSockets.check(fd, false);
		try {
			return new ImsgChannel(SocketLayer.get().adopt(fd, options.fdPassing()), options, listener, "fd " + fd);
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
		try {
			int n = SocketLayer.get().number(fd);
			InheritedSockets.check(n, false);
			// Adopted through this very object, which closes it in the end: a second object for the same number
			// could be closed under us when this one is collected.
			return new ImsgChannel(SocketLayer.get().adopt(fd, options.fdPassing()), options, listener, "fd " + n);
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
		Transport[] ends;
		try {
			ends = SocketLayer.get().pair(options.fdPassing());
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot create a socket pair: " + ex.getMessage(), ex);
		}
		return new Pair(new ImsgChannel(ends[0], options, first, "pair-1"),
				new ImsgChannel(ends[1], options, second, "pair-2"));
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
		return this.state == OPEN;
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
		return this.decoder.bytesRead();
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
		enqueue(type, peerid, pid, fd, null, parts, this.options.sendTimeout().toNanos());
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
		enqueue(type, peerid, pid, fd, payload, NO_PARTS, this.options.sendTimeout().toNanos());
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
			enqueue(type, peerid, pid, fd, null, parts, 0);
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

	/** Queues a message whose payload is {@code single}, or {@code parts} when {@code single} is null. */
	private void enqueue(int type, int peerid, int pid, @Nullable OutboundFd fd, @Nullable ByteBuffer single,
			ByteBuffer[] parts, long waitNanos) {
		long len = WireFormat.HEADER_SIZE;
		if (single != null) {
			len += single.remaining();
		}
		for (ByteBuffer part : parts) {
			len += part.remaining();
		}
		if (len > this.options.maxMessageSize()) {
			throw new ImsgSizeException(name() + ": message type " + Integer.toUnsignedString(type) + " of " + len
					+ " bytes (header included) exceeds the channel's maximum of " + this.options.maxMessageSize());
		}
		boolean wasEmpty = false;
		boolean overBudget = true;
		while (overBudget) {
			overBudget = false;
			this.lock.lock();
			try {
				ensureOpen();
				awaitRoom(len, fd != null, waitNanos);
				if (this.budget.tryReserveBytes(len)) {
					this.budgetedWriteBytes += len;
					wasEmpty = this.queue.isEmpty(); // a write in flight always leaves bytes queued until it completes
					int headerPid = (pid == 0) ? OWN_PID : pid;
					if (single != null) {
						this.queue.append(this.options.wireFormat(), type, (int) len, peerid, headerPid, fd, single);
					}
					else {
						this.queue.append(this.options.wireFormat(), type, (int) len, peerid, headerPid, fd, parts);
					}
				}
				else {
					overBudget = true;
				}
			}
			finally {
				this.lock.unlock();
			}
			// Full: the connection holding the most gives its bytes back, unless that is this one; again until the
			// message fits (each round closes one connection). Outside this channel's lock: closing the other takes
			// that one's.
			if (!overBudget || !this.budget.evictLargestBut(this)) {
				break;
			}
		}
		if (overBudget) {
			ImsgLimitException over = new ImsgLimitException(name() + ": messages queued across connections are at the "
					+ "shared " + this.budget + "; closing this connection, which does not read what is sent to it");
			fail(over);
			throw over;
		}
		if (wasEmpty) {
			// A queue that held bytes already has someone to write them: a write in flight (its thread loops until the
			// queue is empty), a flush task, or the loop waiting for room. So the loop is woken once per batch.
			scheduleFlush();
		}
	}

	private void ensureOpen() {
		if (this.state != OPEN) {
			throw closedException();
		}
	}

	private ImsgClosedException closedException() {
		Throwable cause = this.closeCause;
		String msg = name() + " is closed";
		return (cause != null) ? new ImsgClosedException(msg + ": " + cause.getMessage(), cause)
				: new ImsgClosedException(msg);
	}

	/**
	 * Waits, holding the lock, until {@code len} more bytes (and a descriptor, if {@code fd}) fit; one message
	 * always fits an empty queue.
	 */
	private void awaitRoom(long len, boolean fd, long waitNanos) {
		long nanos = waitNanos;
		while (!fits(len) || (fd && this.queue.queuedFds() >= MAX_QUEUED_FDS)) {
			if (this.loop.inLoop()) {
				// The loop cannot wait for itself: write what the socket takes now, and fail if that is not enough.
				this.lock.unlock();
				try {
					if (!writeQueued()) {
						setWriteInterest(true);
					}
				}
				finally {
					this.lock.lock();
				}
				ensureOpen();
				if (fits(len) && !(fd && this.queue.queuedFds() >= MAX_QUEUED_FDS)) {
					return;
				}
				throw queueFull(len);
			}
			if (nanos <= 0) {
				throw queueFull(len);
			}
			try {
				nanos = this.drained.awaitNanos(nanos);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new ImsgQueueFullException(name() + ": interrupted while waiting for room in the write queue");
			}
			ensureOpen();
		}
	}

	/** Gives the budget back what the queue no longer holds. Holds the lock. */
	private void releaseWrittenBytes() {
		long queued = this.queue.queuedBytes();
		this.budget.releaseBytes(this.budgetedWriteBytes - queued);
		this.budgetedWriteBytes = queued;
	}

	private boolean fits(long len) {
		long queued = this.queue.queuedBytes();
		return queued == 0 || queued + len <= this.options.writeQueueLimit();
	}

	private ImsgQueueFullException queueFull(long len) {
		return new ImsgQueueFullException(name() + ": write queue full (" + this.queue.queuedBytes() + " bytes in "
				+ this.queue.queuedMessages() + " messages and " + this.queue.queuedFds() + " descriptors queued, limits "
				+ this.options.writeQueueLimit() + " bytes and " + MAX_QUEUED_FDS + " descriptors); a message of " + len
				+ " bytes does not fit");
	}

	/**
	 * Waits until the write queue has room for a message of the channel's maximum size.
	 *
	 * @param timeout the longest wait
	 * @return {@code true} if there is room, {@code false} if the wait ran out
	 * @throws ImsgClosedException when the channel closes meanwhile
	 */
	public boolean awaitRoom(Duration timeout) {
		this.lock.lock();
		try {
			long nanos = timeout.toNanos();
			while (!fits(this.options.maxMessageSize())) {
				ensureOpen();
				if (nanos <= 0) {
					return false;
				}
				nanos = this.drained.awaitNanos(nanos);
			}
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Messages queued and not yet completely written ({@code imsgbuf_queuelen}).
	 *
	 * @return the number of queued messages
	 */
	public int queueLength() {
		this.lock.lock();
		try {
			return this.queue.queuedMessages();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * @return bytes queued and not yet written
	 */
	public long queuedBytes() {
		this.lock.lock();
		try {
			return this.queue.queuedBytes();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Writes as much of the queue as the socket takes now, on the caller's thread; the event loop writes the
	 * rest when the socket has room again ({@code imsgbuf_write}).
	 */
	public void flush() {
		if (!writeQueued()) {
			scheduleFlush();
		}
	}

	/**
	 * Writes the whole queue, waiting up to {@code timeout} for the peer to read ({@code imsgbuf_flush}).
	 *
	 * @param timeout the longest wait
	 * @return {@code true} when everything was written, {@code false} if the wait ran out
	 * @throws ImsgClosedException when the channel closed before everything was written
	 */
	public boolean flush(Duration timeout) {
		flush();
		if (this.loop.inLoop()) {
			return queuedBytes() == 0;
		}
		this.lock.lock();
		try {
			long nanos = timeout.toNanos();
			while (!this.queue.isEmpty()) {
				if (this.state == CLOSED) {
					throw closedException();
				}
				if (nanos <= 0) {
					return false;
				}
				nanos = this.drained.awaitNanos(nanos);
			}
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Writes until the queue is empty or the socket is full, without holding the lock during the socket calls, so
	 * that senders keep appending meanwhile. Call without the lock.
	 *
	 * @return {@code false} when the socket is full and the event loop must wait for room; {@code true} when the
	 *         queue is empty, the channel closed, or another thread's write is in flight (that thread goes on)
	 */
	private boolean writeQueued() {
		WriteQueue.Write write = this.write;
		while (true) {
			this.lock.lock();
			try {
				if (this.state == CLOSED || !this.queue.nextWrite(write)) {
					return true;
				}
			}
			finally {
				this.lock.unlock();
			}
			int n;
			IOException failure = null;
			try {
				n = this.transport.write(write.bytes(), write.fd());
			}
			catch (IOException ex) {
				n = -1;
				failure = ex;
			}
			this.lock.lock();
			try {
				this.queue.completeWrite(write, n);
				releaseWrittenBytes();
				if (roomToSignal()) {
					this.drained.signalAll();
				}
			}
			finally {
				this.lock.unlock();
			}
			if (failure != null) {
				fail(new ImsgIoException(name() + ": write failed: " + failure.getMessage(), failure));
				return true;
			}
			if (this.closeWhenEmpty && !this.loop.inLoop() && queuedBytes() == 0) {
				scheduleFlush(); // the loop closes it (closeWhenFlushed)
			}
			if (n == 0) {
				return false;
			}
		}
	}

	/**
	 * Whether a write made enough room to wake waiting senders: the queue is empty (what {@link #flush(Duration)}
	 * and {@link #close()} wait for), or down to half its byte and descriptor limits. Waking a sender that
	 * waits at a full queue after every write would cost a context switch per message (one write per message
	 * with a descriptor); from half full it appends many before it waits again. Holds the lock.
	 */
	private boolean roomToSignal() {
		return this.queue.isEmpty() || this.state == CLOSED
				|| (this.queue.queuedBytes() <= this.options.writeQueueLimit() / 2
						&& this.queue.queuedFds() <= MAX_QUEUED_FDS / 2);
	}

	private void scheduleFlush() {
		if (this.flushScheduled.compareAndSet(false, true)) {
			this.loop.execute(this.flushTask);
		}
	}

	private void flushFromLoop() {
		this.flushScheduled.set(false);
		boolean done = writeQueued();
		if (done && this.closeWhenEmpty && this.state != CLOSED && queuedBytes() == 0) {
			closeNow(null, true);
			return;
		}
		setWriteInterest(!done);
	}

	private void setWriteInterest(boolean on) {
		Poller.Registration k = this.key;
		if (k == null || !k.isValid()) {
			return;
		}
		int ops = k.interestOps();
		int wanted = on ? (ops | Poller.WRITE) : (ops & ~Poller.WRITE);
		if (wanted != ops) {
			k.interestOps(wanted);
		}
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
		LinkedBlockingQueue<Object> in = this.inbox;
		if (in == null) {
			throw new IllegalStateException(name() + " delivers to a listener; receive() is for channels without one");
		}
		Object next;
		try {
			next = in.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		if (next == null) {
			return null;
		}
		if (next == END) {
			in.add(END);
			throw closedException();
		}
		Imsg message = (Imsg) next;
		releaseInboxBytes(message);
		if ((this.readPaused & PAUSED_BY_OWNER) != 0 && in.size() <= this.options.receiveQueueCapacity() / 2) {
			this.loop.execute(this::resumeReadingOnLoop);
		}
		return message;
	}

	// ---------------------------------------------------------------- event loop side

	private void register() {
		if (this.state == CLOSED) {
			return;
		}
		try {
			this.key = this.loop.register(this.transport, Poller.READ, this.readiness);
		}
		catch (IOException ex) {
			closeNow(new ImsgIoException(name() + ": socket closed before registration", ex), false);
			return;
		}
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
		try {
			if ((ready & Poller.READ) != 0) {
				readAvailable();
			}
			Poller.Registration k = this.key;
			if ((ready & Poller.WRITE) != 0 && k != null && k.isValid()) {
				flushFromLoop();
			}
		}
		catch (Throwable unexpected) {
			// An Error half-way through a read (out of memory, a class that cannot be loaded without a free
			// descriptor) leaves the decoder in an unknown state: end this connection rather than leave it hanging.
			fail(new ImsgIoException(name() + ": failed: " + unexpected, unexpected));
		}
	}

	private void onInvalid() {
		// The peer hung up and the selector dropped our key: everything the peer sent is in the socket now.
		if (this.state != CLOSED) {
			readAvailable(true);
		}
		if (this.state != CLOSED) {
			peerClosed();
		}
	}

	private void readAvailable() {
		readAvailable(false);
	}

	/**
	 * Reads and delivers until the socket is drained, or everything left after a hang-up. For fairness between the
	 * loop's connections a turn ends after {@value #READS_PER_TURN} reads: many, because a message with a
	 * descriptor comes alone in its read, and every turn costs a select.
	 */
	private void readAvailable(boolean drainAll) {
		ByteBuffer buf = this.loop.readBuffer(this.options.maxMessageSize() + SegmentSize.READ_ROOM);
		try {
			for (int i = 0; (drainAll || i < READS_PER_TURN) && this.state != CLOSED && (drainAll || this.readPaused == 0);
					i++) {
				FrameDecoder.Result result;
				try {
					result = this.decoder.readFrom(this.transport, buf, this::deliver);
				}
				finally {
					readComplete();
				}
				if (result == FrameDecoder.Result.EOF) {
					inputClosed();
					return;
				}
				if (result == FrameDecoder.Result.DRAINED && !drainAll) {
					return;
				}
			}
		}
		catch (ImsgException ex) {
			fail(ex);
		}
		catch (IOException ex) {
			if (this.state != CLOSED) {
				fail(new ImsgIoException(name() + ": read failed: " + ex.getMessage()
						+ ("No buffer space available".equals(ex.getMessage())
								? " (control data truncated: the peer sent more file descriptors than one message may carry)"
								: ""),
						ex));
			}
		}
	}

	/** Tells the listener that the messages of a read were all delivered, if it was given any. */
	private void readComplete() {
		ImsgListener l = this.listener;
		if (l != null && this.deliveredInRead) {
			this.deliveredInRead = false;
			try {
				l.onReadComplete(this);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> name() + ": listener onReadComplete failed", ex);
			}
		}
	}

	private void deliver(Imsg message) {
		if (this.state == CLOSED) {
			message.close();
			return;
		}
		if (message.hasFd() && !attach(message)) {
			message.close();
			fail(new ImsgLimitException(name() + ": received descriptors across connections are at the shared "
					+ this.budget + "; closing this connection, whose descriptor went over it"));
			return;
		}
		LinkedBlockingQueue<Object> in = this.inbox;
		if (in != null) {
			boolean reserved = reserveInboxBytes(message);
			while (!reserved && this.budget.evictLargestBut(this)) {
				reserved = reserveInboxBytes(message);
			}
			if (!reserved) {
				message.close();
				fail(new ImsgLimitException(name() + ": received messages queued across connections are at the shared "
						+ this.budget + "; closing this connection, whose message went over it"));
				return;
			}
			in.add(message);
			if (this.discardInbox) {
				// closed locally while this message was being decoded: nobody will take it
				discardInbox(in);
				return;
			}
			if (in.size() >= this.options.receiveQueueCapacity()) {
				suspendReading(PAUSED_BY_OWNER);
			}
			return;
		}
		this.deliveredInRead = true;
		try {
			this.listener.onMessage(this, message);
		}
		catch (RuntimeException ex) {
			// Counted against the peer's share of the log: a peer can make every message fail (a reply to a peer
			// that does not read, say). The stack trace only at debug level.
			this.warnings.log(LOG, System.Logger.Level.WARNING, () -> name() + ": listener failed on " + message + ": "
					+ ex, ex);
			message.close();
		}
	}

	/**
	 * Stops reading from the socket until {@link #resumeReading()}, so that a listener which hands messages to
	 * slower workers can push back on the peer instead of queueing without bound. Messages already read are
	 * still delivered; the peer's writes fill the socket buffer and then wait.
	 */
	public void pauseReading() {
		this.loop.execute(() -> suspendReading(PAUSED_BY_OWNER));
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
			suspendReading(PAUSED_BY_OWNER);
			applied.complete(null);
		});
		return applied;
	}

	/** Reads from the socket again after {@link #pauseReading()}. */
	public void resumeReading() {
		this.loop.execute(this::resumeReadingOnLoop);
	}

	private void suspendReading(int reason) {
		this.readPaused |= reason;
		Poller.Registration k = this.key;
		if (k != null && k.isValid()) {
			k.interestOps(k.interestOps() & ~Poller.READ);
		}
	}

	private void resumeReadingOnLoop() {
		resumeReadingOnLoop(PAUSED_BY_OWNER);
	}

	private void resumeReadingOnLoop(int reason) {
		if ((this.readPaused & reason) == 0 || this.state == CLOSED) {
			return;
		}
		this.readPaused &= ~reason;
		Poller.Registration k = this.key;
		if (this.readPaused == 0 && k != null && k.isValid()) {
			k.interestOps(k.interestOps() | Poller.READ);
		}
	}

	/** End of stream from the peer: the listener may keep the channel open to send what it still owes. */
	private void inputClosed() {
		ImsgListener l = this.listener;
		boolean keep = false;
		if (l != null && (this.readPaused & INPUT_CLOSED) == 0) {
			try {
				keep = l.onInputClosed(this);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING, () -> name() + ": listener onInputClosed failed", ex);
			}
		}
		if (keep) {
			suspendReading(INPUT_CLOSED);
			return;
		}
		peerClosed();
	}

	/**
	 * Orderly close that never blocks: refuses new messages, and closes once the event loop has written
	 * everything queued, or after the close timeout if the peer does not read it.
	 */
	public void closeWhenFlushed() {
		this.lock.lock();
		try {
			if (this.state != OPEN) {
				return;
			}
			this.state = CLOSING;
			this.closeWhenEmpty = true;
		}
		finally {
			this.lock.unlock();
		}
		this.loop.execute(() -> {
			this.loop.schedule(this.options.closeTimeout().toNanos(), () -> closeNow(new ImsgClosedException(name()
					+ ": closed with " + queueLength() + " messages still queued after " + this.options.closeTimeout()),
					true));
			flushFromLoop();
		});
	}

	private void peerClosed() {
		// Write what the socket still takes; a peer that only shut down its write side may read it.
		writeQueued();
		closeNow(null, false);
	}

	/**
	 * Bytes this channel holds of its budget, queued to write and waiting for {@link #receive}. Takes each lock
	 * briefly: called from another connection's thread, which holds none of its own then.
	 */
	long budgetedBytes() {
		long held;
		this.lock.lock();
		try {
			held = this.budgetedWriteBytes;
		}
		finally {
			this.lock.unlock();
		}
		LinkedBlockingQueue<Object> in = this.inbox;
		if (in != null) {
			synchronized (in) {
				held += this.inboxBytes;
			}
		}
		return held;
	}

	/**
	 * What closing this channel would give back to the budget at once: everything it holds while open; once
	 * closed, only messages waiting for {@link #receive} (a write in flight keeps its bytes until it completes).
	 */
	long evictableBytes() {
		if (this.state != CLOSED) {
			return budgetedBytes();
		}
		LinkedBlockingQueue<Object> in = this.inbox;
		if (in == null) {
			return 0;
		}
		synchronized (in) {
			return this.inboxBytes;
		}
	}

	/**
	 * Closed by the shared budget, as the connection holding the most of it: what it holds is dropped at once
	 * (queued writes and messages waiting for {@link #receive}), so that the asker finds room.
	 */
	void evict(ImsgLimitException why) {
		this.warnings.log(LOG, System.Logger.Level.WARNING, why::getMessage, null);
		closeNow(why, true);
	}

	private void fail(Throwable cause) {
		if (this.state != CLOSED) {
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
		this.lock.lock();
		try {
			if (this.state != OPEN) {
				if (this.state == CLOSED) {
					// closed by the peer or an error: still discard untaken messages, and wait for the socket
					this.lock.unlock();
					try {
						closeNow(null, true);
						awaitClosed();
					}
					finally {
						this.lock.lock();
					}
				}
				return;
			}
			this.state = CLOSING;
		}
		finally {
			this.lock.unlock();
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

	private void closeNow(@Nullable Throwable cause, boolean local) {
		this.lock.lock();
		try {
			if (this.state == CLOSED) {
				LinkedBlockingQueue<Object> in = this.inbox;
				if (local && in != null) {
					// The peer closed first and messages wait for receive(); the owner is done with them now.
					this.discardInbox = true;
					discardInbox(in);
				}
				return;
			}
			this.state = CLOSED;
			this.closeCause = cause;
			this.queue.discard();
			releaseWrittenBytes();
			this.drained.signalAll();
		}
		finally {
			this.lock.unlock();
		}
		// The socket is closed on the loop thread, which alone reads it: no read can race with the close. The
		// close future completes only then, so that whoever waits for it knows the descriptors are gone.
		this.loop.execute(() -> {
			Poller.Registration k = this.key;
			if (k != null) {
				k.cancel();
			}
			detachAllBeforeClose();
			closeQuietly(this.transport);
			this.decoder.dispose();
			if (cause == null) {
				this.closeFuture.complete(null);
			}
			else {
				this.closeFuture.completeExceptionally(cause);
			}
		});
		LinkedBlockingQueue<Object> in = this.inbox;
		if (in != null) {
			if (local) {
				this.discardInbox = true;
				discardInbox(in);
			}
			in.add(END);
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

	/**
	 * Makes a received descriptor independent of the socket ({@link Imsg#takeFd()}, or the socket closing) and
	 * forgets its message.
	 */
	FileDescriptor detach(Imsg message, FileDescriptor raw) throws IOException {
		forget(message);
		return this.transport.detach(raw);
	}

	/**
	 * A delivered message whose descriptor the socket still has registered; it detaches it only if it is taken.
	 * Counts the descriptor against the connection's limit (reading pauses at it) and the shared budget.
	 *
	 * @return {@code false} when the shared budget has no room for it
	 */
	private boolean attach(Imsg message) {
		synchronized (this) {
			if (!this.budget.tryReserveFd()) {
				return false;
			}
			this.reservedFds++;
			WeakHashMap<Imsg, Boolean> holding = this.attached;
			if (holding == null) {
				holding = new WeakHashMap<>(4);
				this.attached = holding;
			}
			holding.put(message, Boolean.TRUE);
			if (holding.size() >= this.options.maxReceivedFds()) {
				suspendReading(PAUSED_FOR_FDS);
			}
		}
		message.attachTo(this);
		return true;
	}

	/** A message whose descriptor was taken or closed: reading resumes once half the connection's limit is free. */
	void forget(Imsg message) {
		boolean resume = false;
		synchronized (this) {
			if (this.attached != null && this.attached.remove(message) != null) {
				this.reservedFds--;
				this.budget.releaseFds(1);
				resume = (this.readPaused & PAUSED_FOR_FDS) != 0
						&& this.attached.size() <= this.options.maxReceivedFds() / 2;
			}
		}
		if (resume) {
			this.loop.execute(() -> resumeReadingOnLoop(PAUSED_FOR_FDS));
		}
	}

	/** On the loop, right before the socket closes: messages still holding a descriptor keep it. */
	private void detachAllBeforeClose() {
		Imsg[] holding;
		synchronized (this) {
			// From here the descriptors are the holders' alone: they no longer count against this connection.
			this.budget.releaseFds(this.reservedFds);
			this.reservedFds = 0;
			if (this.attached == null) {
				return;
			}
			holding = this.attached.keySet().toArray(new Imsg[0]);
			this.attached = null;
		}
		for (Imsg m : holding) {
			m.detachBeforeSocketCloses();
		}
	}

	private boolean reserveInboxBytes(Imsg message) {
		long size = WireFormat.HEADER_SIZE + message.length();
		if (!this.budget.tryReserveBytes(size)) {
			return false;
		}
		synchronized (this.inbox) {
			this.inboxBytes += size;
		}
		return true;
	}

	private void releaseInboxBytes(Imsg message) {
		long size = WireFormat.HEADER_SIZE + message.length();
		synchronized (this.inbox) {
			// a message the close already accounted for is not released twice
			size = Math.min(size, this.inboxBytes);
			this.inboxBytes -= size;
		}
		this.budget.releaseBytes(size);
		untrackOnceEmpty();
	}

	/**
	 * A closed channel leaves the budget's holders once it has nothing left to give back: until then (messages
	 * still waiting for {@link #receive}) the budget may still evict it to make room.
	 */
	private void untrackOnceEmpty() {
		if (this.state == CLOSED && evictableBytes() == 0) {
			this.budget.untrack(this);
		}
	}

	/** Closes every queued message; keeps the end marker if it was there. */
	private void discardInbox(LinkedBlockingQueue<Object> in) {
		boolean end = false;
		Object pending;
		while ((pending = in.poll()) != null) {
			if (pending instanceof Imsg m) {
				releaseInboxBytes(m);
				m.close();
			}
			else {
				end = true;
			}
		}
		if (end) {
			in.add(END);
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

	/** Sizes for the shared read buffer. */
	private static final class SegmentSize {

		/** Room beyond the largest message, so that one read can always bring something new. */
		static final int READ_ROOM = 64 * 1024;
	}
}
