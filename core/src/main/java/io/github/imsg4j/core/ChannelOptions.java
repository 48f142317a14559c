package io.github.imsg4j.core;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How a channel speaks and how much it may hold. Immutable; start from {@link #defaults()} and change
 * fields with the {@code with…} methods, each of which validates its value.
 *
 * @param wireFormat the header generation spoken on the channel
 * @param maxMessageSize the largest message accepted or sent, header included (16384 by default)
 * @param fdPassing whether received file descriptors are accepted ({@code imsgbuf_allow_fdpass}); when off,
 *        the kernel discards them and messages that claim one arrive without it
 * @param writeQueueLimit the most bytes queued for sending before senders must wait or fail; one message is
 *        always accepted into an empty queue
 * @param sendTimeout how long a send waits for room in a full write queue; zero fails at once
 * @param receiveQueueCapacity for channels without a listener: messages held for {@link ImsgChannel#receive}
 *        before the channel stops reading from the socket
 * @param closeTimeout how long an orderly {@link ImsgChannel#close()} waits for the write queue to drain
 * @param eventLoops the event loops serving the channel, or {@code null} for the process-wide shared ones
 * @param maxReceivedFds received descriptors a connection may hold (delivered, not yet taken or closed) before
 *        the channel stops reading from the peer until some are released (64 by default); a peer cannot make
 *        the process hold more than this plus one per connection
 * @param budget what every connection sharing it may hold together, or {@code null} for {@link ImsgBudget#shared()}
 * @param logLimiter bounds the log lines the peer can cause, or {@code null} for {@link PeerLogLimiter#shared()}
 * @param callerReads for channels without a listener: {@link ImsgChannel#receive} reads the socket on the calling
 *        thread instead of the event loop reading and handing messages over (see {@link #withCallerReads})
 */
public record ChannelOptions(WireFormat wireFormat, int maxMessageSize, boolean fdPassing, long writeQueueLimit,
		Duration sendTimeout, int receiveQueueCapacity, Duration closeTimeout, @Nullable ImsgEventLoops eventLoops,
		int maxReceivedFds, @Nullable ImsgBudget budget, @Nullable PeerLogLimiter logLimiter, boolean callerReads) {

	private static final ChannelOptions DEFAULTS = new ChannelOptions(WireFormat.CURRENT,
			WireFormat.DEFAULT_MAX_MESSAGE_SIZE, false, 4L * 1024 * 1024, Duration.ofSeconds(30), 4096,
			Duration.ofSeconds(5), null, 64, null, null, false);

	/**
	 * Validates every field.
	 *
	 * @param wireFormat the header generation
	 * @param maxMessageSize the largest message, header included
	 * @param fdPassing whether received descriptors are accepted
	 * @param writeQueueLimit bytes queued before back-pressure
	 * @param sendTimeout wait for room in a full queue
	 * @param receiveQueueCapacity messages held for {@code receive}
	 * @param closeTimeout wait for the queue to drain on close
	 * @param eventLoops the loops to use, {@code null} for the shared ones
	 * @param maxReceivedFds received descriptors held per connection before reading pauses
	 * @param budget the shared budget, {@code null} for the process-wide one
	 * @param logLimiter the log limiter, {@code null} for the process-wide one
	 * @param callerReads whether {@code receive} reads the socket itself
	 */
	public ChannelOptions {
		Objects.requireNonNull(wireFormat, "wireFormat");
		if (maxMessageSize < WireFormat.HEADER_SIZE || maxMessageSize > wireFormat.largestLength()) {
			throw new ImsgOptionException("maxMessageSize", maxMessageSize + "B",
					"between " + WireFormat.HEADER_SIZE + "B and " + wireFormat.largestLength() + "B for the "
							+ wireFormat.name().toLowerCase(java.util.Locale.ROOT)
							+ " wire format (the header is included)");
		}
		if (writeQueueLimit < maxMessageSize) {
			throw new ImsgOptionException("writeQueueLimit", writeQueueLimit + "B",
					"at least maxMessageSize (" + maxMessageSize + "B)");
		}
		requireNonNegative("sendTimeout", sendTimeout);
		requireNonNegative("closeTimeout", closeTimeout);
		atLeastOne("receiveQueueCapacity", receiveQueueCapacity);
		atLeastOne("maxReceivedFds", maxReceivedFds);
	}

	private static void requireNonNegative(String name, Duration value) {
		if (Objects.requireNonNull(value, name).isNegative()) {
			throw new ImsgOptionException(name, value,
					"zero (fail at once) or a positive duration such as 500ms or 5s");
		}
	}

	static void atLeastOne(String name, long value) {
		if (value < 1) {
			throw new ImsgOptionException(name, value, "a whole number of at least 1");
		}
	}

	/**
	 * OpenBSD's defaults: current wire format, 16384-byte messages, no fd passing; a 4 MiB write queue, 30 s
	 * send timeout, 4096 queued received messages, 5 s close timeout, the shared event loops, 64 received
	 * descriptors held per connection, the process-wide budget and log limiter.
	 *
	 * @return the default options
	 */
	public static ChannelOptions defaults() {
		return DEFAULTS;
	}

	/**
	 * @param wire the header generation
	 * @return a copy with that wire format (the max message size is re-checked against it)
	 */
	public ChannelOptions withWireFormat(WireFormat wire) {
		return new ChannelOptions(wire, this.maxMessageSize, this.fdPassing, this.writeQueueLimit, this.sendTimeout,
				this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param max the largest message, header included, as {@code imsgbuf_set_maxsize} checks it
	 * @return a copy with that maximum; the write queue limit grows to hold at least one such message
	 */
	public ChannelOptions withMaxMessageSize(int max) {
		return new ChannelOptions(this.wireFormat, max, this.fdPassing, Math.max(this.writeQueueLimit, max),
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds,
				this.budget, this.logLimiter, this.callerReads);
	}

	/**
	 * @param enabled whether received descriptors are accepted
	 * @return a copy with fd passing on or off
	 */
	public ChannelOptions withFdPassing(boolean enabled) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, enabled, this.writeQueueLimit, this.sendTimeout,
				this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param bytes the most bytes queued for sending
	 * @return a copy with that write queue limit
	 */
	public ChannelOptions withWriteQueueLimit(long bytes) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, bytes, this.sendTimeout,
				this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param timeout how long a send waits for room; zero fails at once
	 * @return a copy with that send timeout
	 */
	public ChannelOptions withSendTimeout(Duration timeout) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit, timeout,
				this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param capacity messages held for {@code receive} before reading pauses
	 * @return a copy with that capacity
	 */
	public ChannelOptions withReceiveQueueCapacity(int capacity) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, capacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param timeout how long an orderly close waits for queued messages to be written
	 * @return a copy with that close timeout
	 */
	public ChannelOptions withCloseTimeout(Duration timeout) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, timeout, this.eventLoops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param loops the event loops to serve the channel, {@code null} for the shared ones
	 * @return a copy using those loops
	 */
	public ChannelOptions withEventLoops(@Nullable ImsgEventLoops loops) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, loops, this.maxReceivedFds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param fds received descriptors held per connection before the channel stops reading
	 * @return a copy with that limit
	 */
	public ChannelOptions withMaxReceivedFds(int fds) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, fds, this.budget,
				this.logLimiter, this.callerReads);
	}

	/**
	 * @param shared the budget the channel shares with others, {@code null} for the process-wide one
	 * @return a copy using that budget
	 */
	public ChannelOptions withBudget(@Nullable ImsgBudget shared) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds,
				shared, this.logLimiter, this.callerReads);
	}

	/**
	 * @param limiter bounds the log lines peers cause, {@code null} for the process-wide one
	 * @return a copy using that limiter
	 */
	public ChannelOptions withLogLimiter(@Nullable PeerLogLimiter limiter) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds,
				this.budget, limiter, this.callerReads);
	}

	/**
	 * Makes {@link ImsgChannel#receive} read the socket on the calling thread, as a C client calling
	 * {@code imsgbuf_read} does, instead of the event loop reading and handing each message over: one thread
	 * switch less per message, which is most of a request/reply round trip on a busy or single CPU. The channel
	 * then reads only while a thread waits in {@code receive} (the peer's writes wait in the socket meanwhile),
	 * and a message sent into an empty write queue is written at once on the sending thread, as
	 * {@code imsg_compose} and {@code imsgbuf_flush} would (a fuller queue is written by the event loop as usual);
	 * {@link ImsgChannel#pauseReading()} has nothing to pause. For channels without a
	 * listener (the option is refused with one), on the FFM transport (Java 22+); on junixsocket the event loop
	 * reads as before.
	 *
	 * @param enabled whether {@code receive} reads the socket itself
	 * @return a copy with that choice
	 */
	public ChannelOptions withCallerReads(boolean enabled) {
		return new ChannelOptions(this.wireFormat, this.maxMessageSize, this.fdPassing, this.writeQueueLimit,
				this.sendTimeout, this.receiveQueueCapacity, this.closeTimeout, this.eventLoops, this.maxReceivedFds,
				this.budget, this.logLimiter, enabled);
	}

	ImsgEventLoops loops() {
		return (this.eventLoops != null) ? this.eventLoops : ImsgEventLoops.shared();
	}

	/**
	 * @return the budget channels with these options share: {@link #budget()}, or the process-wide one
	 */
	public ImsgBudget effectiveBudget() {
		return (this.budget != null) ? this.budget : ImsgBudget.shared();
	}

	/**
	 * @return the limiter of peer-caused log lines: {@link #logLimiter()}, or the process-wide one
	 */
	public PeerLogLimiter effectiveLogLimiter() {
		return (this.logLimiter != null) ? this.logLimiter : PeerLogLimiter.shared();
	}
}
