package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ChannelReader} confined to the channel's event loop: reads when the poller says the socket is
 * readable, and pauses by dropping read interest. Other threads reach it only through {@link EventLoop#execute}
 * (the assertions say so; tests run with them enabled).
 */
final class LoopReader extends ChannelReader {

	/** Reads per connection per loop turn; a read takes at most 64 KiB more than the largest message. */
	private static final int READS_PER_TURN = 64;

	private Poller.@Nullable Registration key;

	LoopReader(ImsgChannel channel, Transport transport, EventLoop loop, ChannelOptions options, ImsgBudget budget,
			PeerLogLimiter.Connection warnings, @Nullable ImsgListener listener, @Nullable ChannelInbox inbox) {
		super(channel, transport, loop, options, budget, warnings, listener, inbox);
	}

	@Override
	boolean loopReads() {
		return true;
	}

	@Override
	void registered(Poller.Registration registration) {
		assert this.loop.confinedHere() : "loop-confined";
		this.key = registration;
	}

	/**
	 * Reads and delivers until the socket is drained, or everything left after a hang-up. For fairness between the
	 * loop's connections a turn ends after {@value #READS_PER_TURN} reads: many, because a message with a
	 * descriptor comes alone in its read, and every turn costs a wait for readiness.
	 */
	void readAvailable(boolean drainAll) {
		assert this.loop.confinedHere() : "loop-confined";
		ByteBuffer buf = this.loop.readBuffer(this.options.maxMessageSize() + READ_ROOM);
		try {
			for (int i = 0; (drainAll || i < READS_PER_TURN) && !this.channel.isClosed()
					&& (drainAll || this.paused == 0); i++) {
				FrameDecoder.Result result;
				try {
					result = this.decoder.readFrom(this.transport, buf, this.sink);
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
			this.channel.fail(ex);
		}
		catch (IOException ex) {
			readFailed(ex);
		}
	}

	@Override
	void queued(int waiting) {
		if (waiting >= this.options.receiveQueueCapacity()) {
			suspend(PAUSED_BY_OWNER);
		}
	}

	/** Any thread: the owner took a message from the inbox, {@code waiting} are left; read again from half full. */
	void taken(int waiting) {
		if ((this.paused & PAUSED_BY_OWNER) != 0 && waiting <= this.options.receiveQueueCapacity() / 2) {
			this.loop.execute(() -> resume(PAUSED_BY_OWNER));
		}
	}

	@Override
	void suspend(int reason) {
		assert this.loop.confinedHere() : "loop-confined";
		this.paused |= reason;
		Poller.Registration k = this.key;
		if (k != null && k.isValid()) {
			k.interestOps(k.interestOps() & ~Poller.READ);
		}
	}

	@Override
	void resume(int reason) {
		assert this.loop.confinedHere() : "loop-confined";
		if ((this.paused & reason) == 0 || this.channel.isClosed()) {
			return;
		}
		this.paused &= ~reason;
		Poller.Registration k = this.key;
		if (this.paused == 0 && k != null && k.isValid()) {
			k.interestOps(k.interestOps() | Poller.READ);
		}
	}

	/** The loop is the only reader, and this runs on it: nothing can be reading now. */
	@Override
	void stop() {
		assert this.loop.confinedHere() : "loop-confined";
		releaseHeld();
	}
}
