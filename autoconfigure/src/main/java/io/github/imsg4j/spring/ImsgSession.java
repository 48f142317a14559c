package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

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
 * 1024 wait, or more bytes than the connection's write-queue limit, the session stops reading from the socket
 * until the backlog falls to 256 messages and half those bytes: a fast peer meets back-pressure instead of
 * filling the heap. Waiting messages also count against the shared
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

	private final String endpoint;

	private final ImsgChannel channel;

	private final ImsgCodecs codecs;

	private final ImsgMetrics metrics;

	private final Executor executor;

	/** Whether sends from application threads wait for room (connections we made to a daemon), or never wait. */
	private final boolean waitsForRoom;

	/** Handlers run on the event loop ({@link ImsgHandlerExecutor#inline()}). */
	private final boolean inline;

	/** Requests awaiting their replies. */
	private final ReplyWaiters waiters = new ReplyWaiters();

	/** When the peer last sent something, for the idle timeout. */
	private final IdleClock idle = new IdleClock();

	/** The handler tasks of this connection, run in order. */
	private final SessionWorkQueue work;

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
		this.warnings = channel.options().effectiveLogLimiter().connection();
		this.work = new SessionWorkQueue(this, channel, executor, this.inline, this.idle);
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
	 * Sends a message. On an {@code imsg.clients} (or process) connection it waits for room in the write queue up
	 * to the configured send timeout, from any thread but the event loop: the daemon at the other end is one this
	 * application chose to talk to. On an endpoint connection a full queue closes this connection instead, since
	 * its peer does not read; so does a handler's reply on any connection (see {@link #reply}).
	 *
	 * @param type the message type
	 * @param peerid the header's peer id
	 * @param payload the payload (see {@link ImsgReply#payload()}), or {@code null}
	 * @param fd a descriptor to pass, or {@code null}; when sending fails a transferred descriptor is closed
	 * @throws io.github.imsg4j.core.ImsgException when the message is too large, the queue stays full
	 *         ({@link ImsgLimitException} when that closed the connection), or the connection is closed
	 */
	public void send(int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd) {
		send(type, peerid, payload, fd, this.waitsForRoom);
	}

	/**
	 * What a handler returned, sent without waiting: a reply to a peer that does not read what it asked for closes
	 * that peer's connection rather than hold a handler thread.
	 */
	void reply(int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd) {
		send(type, peerid, payload, fd, false);
	}

	private void send(int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd, boolean mayWait) {
		ByteBuffer bytes;
		try {
			bytes = this.codecs.encode(payload, this.channel.maxMessageSize() - WireFormat.HEADER_SIZE);
			if (mayWait) {
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
		if (fd != null) {
			fd.close(); // closes a transferred one no channel took; nothing otherwise
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
		ReplyWaiters.Waiter waiter = this.waiters.await(reply);
		try {
			send(type, 0, payload, fd);
		}
		catch (RuntimeException ex) {
			this.waiters.cancel(waiter, ex);
			return waiter.reply();
		}
		this.waiters.timeOutAfter(waiter, timeout, () -> "no reply to type " + Integer.toUnsignedString(type) + " on "
				+ this + " within " + timeout);
		return waiter.reply();
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
		return this.waiters.offer(message, this.executor);
	}

	/** Fails every waiting request: the connection is gone. */
	void failWaiters(Throwable cause) {
		this.waiters.failAll(cause);
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
		warn(this.warnings, log, message, error, trace);
	}

	/**
	 * Logs a line peers caused, counted against {@code lines}: at WARN within its share, at debug past it, not at
	 * all over the aggregate rate; {@code error}'s stack trace at WARN only when {@code trace}.
	 */
	static void warn(PeerLogLimiter.Connection lines, org.apache.commons.logging.Log log, String message,
			@Nullable Throwable error, boolean trace) {
		PeerLogLimiter.Verdict v = lines.next();
		if (v == PeerLogLimiter.Verdict.DROP) {
			return;
		}
		if (v == PeerLogLimiter.Verdict.LOG) {
			log.warn(lines.decorate(message, v), trace ? error : null);
		}
		else if (log.isDebugEnabled()) {
			log.debug(message, error);
		}
	}

	/** On the event loop, per message: the peer was active (see {@link IdleClock}). */
	void touch() {
		this.idle.touch();
	}

	/** Time since the peer was last active, for the periodic idle check (its only caller). */
	long idleNanos() {
		return this.idle.idleNanos();
	}

	/** On the event loop: keeps a message's task for the read's hand-over ({@link SessionWorkQueue#enqueue}). */
	void enqueue(Runnable task, Imsg message) {
		this.work.enqueue(task, message);
	}

	/** On the event loop, after a read: hands its tasks to the handler thread ({@link SessionWorkQueue#submitPending}). */
	void submitPending() {
		this.work.submitPending();
	}

	/** Whether handlers run on the event loop that delivers the messages ({@link ImsgHandlerExecutor#inline()}). */
	boolean inline() {
		return this.inline;
	}

	/** An inline handler starts: counted as in flight until {@link #done}. */
	void started() {
		this.work.started();
	}

	/** A handler (or its future) finished with {@code message}. */
	void done(Imsg message) {
		this.work.done(message);
	}

	/** Closed by the budget: messages waiting for a handler are closed and given back now. */
	void discardQueued() {
		this.work.discardQueued();
	}

	/** On the event loop, when the peer has sent its end of stream: close once every handler is done. */
	void closeWhenDone() {
		this.work.closeWhenDone();
	}

	/** Whether nothing is queued, running or pending for this session, and reading is not paused. */
	boolean idle() {
		return this.work.idle();
	}

	/**
	 * Waits until no handler is queued, running or pending.
	 *
	 * @param deadlineNanos {@link System#nanoTime()} to give up at
	 * @return whether it became idle in time
	 */
	boolean awaitIdle(long deadlineNanos) {
		return this.work.awaitIdle(deadlineNanos);
	}
}
