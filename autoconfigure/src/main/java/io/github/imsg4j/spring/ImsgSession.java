package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.ImsgLimitException;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.PeerLogLimiter;
import io.github.imsg4j.core.WireFormat;
import org.jspecify.annotations.Nullable;

/**
 * One connection of an endpoint or client, as handlers and the {@link ImsgTemplate} see it: who the peer is,
 * and how to send to it. Thread-safe; may be kept and used after the handler returns, until it closes.
 *
 * <p>Received messages are handled one at a time, in order, on the handler executor. When more than
 * {@value #PAUSE_AT} wait, or more bytes than the connection's write-queue limit, the session stops reading
 * from the socket until the backlog falls to {@value #RESUME_AT} messages and half those bytes: a fast peer
 * meets back-pressure instead of filling the heap. Waiting messages also count against the shared
 * {@link io.github.imsg4j.core.ImsgBudget}; the connection that goes over it is closed.
 *
 * <p><b>Sending never blocks a shared thread.</b> A reply, or any send from a handler thread, that does not fit
 * the peer's write queue closes that peer ({@link ImsgLimitException}): a peer that does not read its replies
 * cannot hold a handler thread. Only a send from an application thread to an {@code imsg.clients} connection
 * waits for room, up to its {@code send-timeout}.
 */
public final class ImsgSession {

	private static final org.apache.commons.logging.Log LOG = org.apache.commons.logging.LogFactory
		.getLog(ImsgSession.class);

	static final int PAUSE_AT = 1024;

	static final int RESUME_AT = 256;

	private final String endpoint;

	private final ImsgChannel channel;

	private final ImsgCodecs codecs;

	private final ImsgMetrics metrics;

	private final Executor executor;

	/** Whether sends from application threads wait for room (connections we made to a daemon), or never wait. */
	private final boolean waitsForRoom;

	/** Set while a thread runs this class's handler tasks: sends from it never wait. */
	private static final ThreadLocal<Boolean> ON_HANDLER_THREAD = new ThreadLocal<>();

	private final io.github.imsg4j.core.ImsgBudget budget;

	/** Bytes of the messages in {@link #tasks}, reserved from {@link #budget}; guarded by {@link #tasks}. */
	private long queuedBytes;

	private final long pauseBytes;

	/** Handlers run on the event loop ({@link ImsgHandlerExecutor#inline()}). */
	private final boolean inline;

	/** Requests awaiting a reply, in the order they were made; each takes the first message it matches. */
	private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();

	/** A request's reply: which messages are it, and who waits. */
	private record Waiter(Predicate<Imsg> matches, CompletableFuture<Imsg> reply) {
	}

	/** Set by the first {@link #request}, before its waiter is queued (and before its request is sent). */
	private volatile boolean everWaited;

	/** Tasks waiting to run; guarded by itself. */
	private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(4);

	/** Tasks of the read being delivered, made with the first ({@link #enqueue}); the event loop's only. */
	private @Nullable ArrayDeque<Runnable> pending;

	/** Bytes of the messages of {@link #pending}; the event loop's only. */
	private long pendingBytes;

	/** The tasks the running drain took out of {@link #tasks} in one go; used by that drain only. */
	private final ArrayDeque<Runnable> batch = new ArrayDeque<>(4);

	private boolean running;

	/** Threads in {@link #awaitIdle}: only then does {@link #done} need to notify. */
	private int idleWaiters;

	private boolean paused;

	/** The peer sent its end of stream: close once every handler is done ({@link #closeWhenDone}). */
	private boolean inputClosed;

	/** Handlers queued, running, or whose futures have not completed. */
	private int inFlight;

	/** Messages received (and read resumptions): written by the event loop only, read by the idle check. */
	@SuppressWarnings("unused") // through ACTIVITY
	private long activity;

	/** The idle check's last view of {@link #activity}, and when it changed; the idle check's thread only. */
	private long activitySeen;

	private long activitySeenAt = System.nanoTime();

	private static final VarHandle ACTIVITY;

	static {
		try {
			ACTIVITY = MethodHandles.lookup().findVarHandle(ImsgSession.class, "activity", long.class);
		}
		catch (ReflectiveOperationException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	/** Lines logged about this peer, bounded per connection and with every other connection of the endpoint. */
	private final PeerLogLimiter.Connection warnings;

	ImsgSession(String endpoint, ImsgChannel channel, ImsgCodecs codecs, ImsgMetrics metrics, Executor executor,
			boolean waitsForRoom) {
		this.endpoint = endpoint;
		this.channel = channel;
		this.codecs = codecs;
		this.metrics = metrics;
		this.executor = executor;
		this.waitsForRoom = waitsForRoom;
		this.inline = executor instanceof ImsgHandlerExecutor h && h.isInline();
		this.budget = channel.options().effectiveBudget();
		this.warnings = channel.options().effectiveLogLimiter().connection();
		this.pauseBytes = channel.options().writeQueueLimit();
	}

	/**
	 * @return the endpoint's or client's name
	 */
	public String endpoint() {
		return this.endpoint;
	}

	/**
	 * @return the peer's credentials, from the kernel at connect time
	 */
	public PeerCredentials peer() {
		return this.channel.peerCredentials();
	}

	/**
	 * @return the underlying channel, for what the session does not offer
	 */
	public ImsgChannel channel() {
		return this.channel;
	}

	/**
	 * @return the wire generation spoken
	 */
	public WireFormat wireFormat() {
		return this.channel.wireFormat();
	}

	/**
	 * @return whether the connection is open
	 */
	public boolean isOpen() {
		return this.channel.isOpen();
	}

	/**
	 * @return completes when the connection has closed
	 */
	public CompletableFuture<Void> closeFuture() {
		return this.channel.closeFuture();
	}

	/** Closes the connection after writing what is queued. */
	public void close() {
		this.channel.close();
	}

	@Override
	public String toString() {
		return "session of " + this.endpoint + " (" + this.channel.name() + ")";
	}

	// ---------------------------------------------------------------- sending

	/**
	 * Sends a message with peer id 0 and no descriptor.
	 *
	 * @param type the message type
	 * @param payload the payload (see {@link ImsgReply#payload()}), or {@code null}
	 */
	public void send(int type, @Nullable Object payload) {
		send(type, 0, payload, null);
	}

	/**
	 * Sends a message. From an application thread to an {@code imsg.clients} connection it waits for room in the
	 * write queue up to the configured send timeout; anywhere else (endpoint connections, handler threads, the
	 * event loop) a full queue closes this connection instead, since its peer does not read.
	 *
	 * @param type the message type
	 * @param peerid the header's peer id
	 * @param payload the payload (see {@link ImsgReply#payload()}), or {@code null}
	 * @param fd a descriptor to pass, or {@code null}; when sending fails a transferred descriptor is closed
	 * @throws io.github.imsg4j.core.ImsgException when the message is too large, the queue stays full
	 *         ({@link ImsgLimitException} when that closed the connection), or the connection is closed
	 */
	public void send(int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd) {
		ByteBuffer bytes;
		try {
			bytes = this.codecs.encode(payload, this.channel.maxMessageSize() - WireFormat.HEADER_SIZE);
			if (this.waitsForRoom && ON_HANDLER_THREAD.get() == null) {
				this.channel.compose(type, peerid, 0, fd, bytes);
			}
			else if (!this.channel.tryCompose(type, peerid, 0, fd, bytes)) {
				ImsgLimitException full = new ImsgLimitException(this.channel.name() + ": the peer does not read what is "
						+ "sent to it (" + this.channel.queuedBytes() + " bytes queued, limit "
						+ this.channel.options().writeQueueLimit() + "); closing it rather than holding a shared thread");
				this.channel.abort();
				throw full;
			}
		}
		catch (RuntimeException ex) {
			closeUnsent(fd);
			throw ex;
		}
		this.metrics.messageSent(this.endpoint, Integer.toUnsignedString(type),
				WireFormat.HEADER_SIZE + bytes.remaining(), fd != null);
	}

	/** A transferred descriptor whose send failed is still ours: close it so that it never leaks. */
	static void closeUnsent(@Nullable OutboundFd fd) {
		if (fd != null && fd.closeAfterSend()) {
			Fds.closeQuietly(fd.fd());
		}
	}

	/**
	 * Sends a reply with the peer id it names (0 if none).
	 *
	 * @param reply the reply
	 */
	public void send(ImsgReply reply) {
		Integer peerId = reply.peerId();
		send(reply.type(), (peerId != null) ? peerId : 0, reply.payload(), reply.fd());
	}

	/**
	 * Sends a message and waits asynchronously for the next message of {@code replyType} on this connection. That
	 * reply goes to the returned future instead of a handler; the caller owns it and should close it.
	 *
	 * @param type the request's type
	 * @param payload the request's payload, or {@code null}
	 * @param fd a descriptor to pass, or {@code null}
	 * @param replyType the type of the awaited reply
	 * @param timeout how long to wait; the future then fails with {@link ImsgReplyTimeoutException}
	 * @return the reply
	 */
	public CompletableFuture<Imsg> request(int type, @Nullable Object payload, @Nullable OutboundFd fd,
			int replyType, Duration timeout) {
		return request(type, payload, fd, replyTypes(replyType), timeout);
	}

	/**
	 * Sends a message and waits asynchronously for the next message on this connection that {@code reply}
	 * accepts: one of several types (a daemon answering OPENED or DENIED), or by peer id. That message goes to
	 * the returned future instead of a handler; the caller owns it and should close it.
	 *
	 * @param type the request's type
	 * @param payload the request's payload, or {@code null}
	 * @param fd a descriptor to pass, or {@code null}
	 * @param reply which message is the reply (see {@link #replyTypes})
	 * @param timeout how long to wait; the future then fails with {@link ImsgReplyTimeoutException}
	 * @return the reply
	 */
	public CompletableFuture<Imsg> request(int type, @Nullable Object payload, @Nullable OutboundFd fd,
			Predicate<Imsg> reply, Duration timeout) {
		CompletableFuture<Imsg> future = new CompletableFuture<>();
		Waiter waiter = new Waiter(reply, future);
		this.everWaited = true;
		this.waiters.add(waiter);
		try {
			send(type, 0, payload, fd);
		}
		catch (RuntimeException ex) {
			this.waiters.remove(waiter);
			future.completeExceptionally(ex);
			return future;
		}
		CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
			if (future.completeExceptionally(new ImsgReplyTimeoutException("no reply to type "
					+ Integer.toUnsignedString(type) + " on " + this + " within " + timeout))) {
				this.waiters.remove(waiter);
			}
		});
		return future;
	}

	/**
	 * @param types the reply types awaited
	 * @return a reply predicate for {@link #request(int, Object, OutboundFd, Predicate, Duration)}
	 */
	public static Predicate<Imsg> replyTypes(int... types) {
		int[] copy = types.clone();
		return (m) -> {
			for (int t : copy) {
				if (m.type() == t) {
					return true;
				}
			}
			return false;
		};
	}

	// ---------------------------------------------------------------- receiving (package-private)

	/** On the loop thread: gives the message to the oldest waiting {@link #request} it answers, if any. */
	boolean offerToWaiter(Imsg message) {
		if (!this.everWaited) {
			return false; // most sessions never call request(): nothing to look at per message for them
		}
		for (Waiter w : this.waiters) {
			if (w.reply().isDone()) {
				this.waiters.remove(w); // timed out or failed meanwhile
				continue;
			}
			if (w.matches().test(message) && this.waiters.remove(w)) {
				// Complete off the loop thread: whatever the caller chained to the future must not stall the loop.
				this.executor.execute(() -> {
					if (!w.reply().complete(message)) {
						message.close(); // timed out meanwhile
					}
				});
				return true;
			}
		}
		return false;
	}

	/** Fails every waiting request: the connection is gone. */
	void failWaiters(Throwable cause) {
		Waiter w;
		while ((w = this.waiters.poll()) != null) {
			w.reply().completeExceptionally(cause);
		}
	}

	/**
	 * Logs a line this peer caused: at WARN for the connection's first few and within the endpoint's rate, then
	 * at debug, and dropped over the endpoint's rate (see {@link PeerLogLimiter}).
	 */
	void warn(org.apache.commons.logging.Log log, String message) {
		warn(log, message, null);
	}

	/** As {@link #warn(org.apache.commons.logging.Log, String)}; {@code error}'s stack trace only at debug level. */
	void warn(org.apache.commons.logging.Log log, String message, @Nullable Throwable error) {
		warn(log, message, error, log.isDebugEnabled());
	}

	/** As {@link #warn(org.apache.commons.logging.Log, String)}, with {@code error}'s stack trace: a failure of ours. */
	void warnWithTrace(org.apache.commons.logging.Log log, String message, Throwable error) {
		warn(log, message, error, true);
	}

	private void warn(org.apache.commons.logging.Log log, String message, @Nullable Throwable error, boolean trace) {
		PeerLogLimiter.Verdict v = this.warnings.next();
		if (v == PeerLogLimiter.Verdict.DROP) {
			return;
		}
		Throwable shown = trace ? error : null;
		if (v == PeerLogLimiter.Verdict.LOG) {
			log.warn(this.warnings.decorate(message, v), shown);
		}
		else if (log.isDebugEnabled()) {
			log.debug(message, error);
		}
	}

	/**
	 * On the event loop, per message (and when reading resumes): counts, without reading the clock, which
	 * would cost more than the rest of the idle bookkeeping put together.
	 */
	void touch() {
		ACTIVITY.setOpaque(this, (long) ACTIVITY.getOpaque(this) + 1);
	}

	/**
	 * Time since the activity count last changed, as seen by the periodic idle check (its only caller): the
	 * answer is exact to within one check period.
	 */
	long idleNanos() {
		long now = System.nanoTime();
		long seen = (long) ACTIVITY.getOpaque(this);
		if (seen != this.activitySeen) {
			this.activitySeen = seen;
			this.activitySeenAt = now;
		}
		return now - this.activitySeenAt;
	}

	/**
	 * On the event loop: keeps a message's task until {@link #submitPending()} hands over the whole read, so that
	 * the loop and the handler thread meet on the lock once per read, not once per message.
	 */
	void enqueue(Runnable task, Imsg message) {
		ArrayDeque<Runnable> read = this.pending;
		if (read == null) {
			read = new ArrayDeque<>(16);
			this.pending = read;
		}
		read.add(task);
		this.pendingBytes += size(message);
	}

	/** What a queued message counts for, until its handler is {@link #done}. */
	private static long size(Imsg message) {
		return WireFormat.HEADER_SIZE + message.length();
	}

	/**
	 * On the event loop, after a read: queues the read's tasks behind earlier ones, starts a drain if none runs,
	 * and pauses reading when too many wait.
	 */
	void submitPending() {
		ArrayDeque<Runnable> read = this.pending;
		if (read == null || read.isEmpty()) {
			return;
		}
		boolean start;
		long bytes = this.pendingBytes;
		this.pendingBytes = 0;
		boolean overBudget = !this.budget.tryReserveBytes(bytes);
		synchronized (this.tasks) {
			Runnable task;
			while ((task = read.poll()) != null) {
				this.tasks.add(task);
				this.inFlight++;
			}
			if (!overBudget) {
				this.queuedBytes += bytes;
			}
			start = !this.running;
			this.running = true;
			if ((this.tasks.size() > PAUSE_AT || this.queuedBytes > this.pauseBytes) && !this.paused) {
				this.paused = true;
				this.channel.pauseReading();
			}
		}
		if (overBudget) {
			// This read's messages are handled (they were read, their descriptors are owned), but the connection
			// that took the shared budget over its limit reads nothing more.
			warn(LOG, "Closing " + this + ": messages waiting for handlers across connections are at the shared "
					+ this.budget);
			this.channel.abort();
		}
		if (start) {
			this.executor.execute(this::drain);
		}
	}

	/**
	 * Runs the session's tasks in order. It takes up to {@value #RESUME_AT} at a time under the lock and runs them
	 * without it, so that the event loop queueing the next messages and this thread running handlers meet on the
	 * lock once per batch, not once per message.
	 */
	private void drain() {
		while (true) {
			synchronized (this.tasks) {
				Runnable next;
				for (int i = 0; i < RESUME_AT && (next = this.tasks.poll()) != null; i++) {
					this.batch.add(next);
				}
				if (this.batch.isEmpty()) {
					this.running = false;
					return;
				}
				resumeIfDrained();
			}
			ON_HANDLER_THREAD.set(Boolean.TRUE);
			try {
				Runnable task;
				while ((task = this.batch.poll()) != null) {
					try {
						task.run();
					}
					catch (Throwable ex) {
						// An Error (out of memory, say) must not end the drain: this session would never run again.
						LOG.error("imsg handler task failed on " + this + "; the session goes on", ex);
					}
				}
			}
			finally {
				ON_HANDLER_THREAD.remove();
			}
		}
	}

	/** Reads again once the backlog is down to {@value #RESUME_AT} messages and half the byte limit. Holds the lock. */
	private void resumeIfDrained() {
		if (this.paused && this.tasks.size() <= RESUME_AT && this.queuedBytes <= this.pauseBytes / 2) {
			this.paused = false;
			// While we did not read, the peer was not idle: we were. Restart the idle clock.
			touch();
			this.channel.resumeReading();
		}
	}

	/** Whether handlers run on the event loop that delivers the messages ({@link ImsgHandlerExecutor#inline()}). */
	boolean inline() {
		return this.inline;
	}

	/** An inline handler starts: counted as in flight until {@link #done}. */
	void started() {
		synchronized (this.tasks) {
			this.inFlight++;
		}
	}

	/** A handler (or its future) finished with {@code message}. */
	void done(Imsg message) {
		long bytes = this.inline ? 0 : size(message);
		long release;
		boolean close;
		synchronized (this.tasks) {
			release = Math.min(bytes, this.queuedBytes);
			this.queuedBytes -= release;
			resumeIfDrained();
			this.inFlight--;
			close = this.inputClosed && this.inFlight == 0;
			if (this.idleWaiters > 0) {
				this.tasks.notifyAll();
			}
		}
		this.budget.releaseBytes(release);
		if (close) {
			this.channel.closeWhenFlushed();
		}
	}

	/**
	 * On the event loop, when the peer has sent its end of stream: closes the connection once every handler of
	 * what it sent is done and their replies are written, without blocking any thread.
	 */
	void closeWhenDone() {
		boolean close;
		synchronized (this.tasks) {
			this.inputClosed = true;
			close = this.inFlight == 0;
		}
		if (close) {
			this.channel.closeWhenFlushed();
		}
	}

	/** Whether nothing is queued, running or pending for this session, and reading is not paused. */
	boolean idle() {
		synchronized (this.tasks) {
			return this.inFlight == 0 && !this.paused;
		}
	}

	/**
	 * Waits until no handler is queued, running or pending.
	 *
	 * @param deadlineNanos {@link System#nanoTime()} to give up at
	 * @return whether it became idle in time
	 */
	boolean awaitIdle(long deadlineNanos) {
		synchronized (this.tasks) {
			this.idleWaiters++;
			try {
				while (this.inFlight > 0) {
					long left = deadlineNanos - System.nanoTime();
					if (left <= 0) {
						return false;
					}
					try {
						TimeUnit.NANOSECONDS.timedWait(this.tasks, left);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return false;
					}
				}
				return true;
			}
			finally {
				this.idleWaiters--;
			}
		}
	}
}
