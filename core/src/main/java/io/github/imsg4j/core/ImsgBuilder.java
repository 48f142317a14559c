package io.github.imsg4j.core;

import org.jspecify.annotations.Nullable;

/**
 * A message composed piece by piece, as with {@code imsg_create}, {@code imsg_add} and {@code imsg_close}: the
 * payload may not grow past the channel's maximum message size less the header, and {@link #close()} queues
 * the message on its channel. A builder that is never closed sends nothing (and leaves a transferred
 * descriptor with the caller).
 */
public final class ImsgBuilder extends PayloadWriter<ImsgBuilder> {

	private final ImsgChannel channel;

	private final int type;

	private final int peerid;

	private final int pid;

	private final @Nullable OutboundFd fd;

	private boolean closed;

	ImsgBuilder(ImsgChannel channel, int type, int peerid, int pid, @Nullable OutboundFd fd, int sizeHint) {
		super(sizeHint, channel.maxMessageSize() - WireFormat.HEADER_SIZE);
		this.channel = channel;
		this.type = type;
		this.peerid = peerid;
		this.pid = pid;
		this.fd = fd;
	}

	@Override
	String tooLarge(long size, int limit) {
		return "message type " + Integer.toUnsignedString(this.type) + " would be " + (size + WireFormat.HEADER_SIZE)
				+ " bytes with its header, above the channel's maximum of " + this.channel.maxMessageSize();
	}

	/**
	 * Queues the message on its channel ({@code imsg_close}); a second call does nothing.
	 *
	 * @throws ImsgClosedException if the channel is closed
	 * @throws ImsgQueueFullException if the write queue stays full for the send timeout
	 */
	public void close() {
		if (this.closed) {
			return;
		}
		this.channel.compose(this.type, this.peerid, this.pid, this.fd, buffer());
		this.closed = true;
	}
}
