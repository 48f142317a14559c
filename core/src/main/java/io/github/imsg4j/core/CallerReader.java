package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ChannelReader} for {@link ChannelOptions#callerReads()}: the thread in {@code receive()} reads the
 * socket itself while no message waits, saving the hand-off from the loop.
 *
 * <p>One scheme: everything the reader holds is touched only by the holder of {@link #turn}. Several threads
 * may call {@code receive()}; one reads at a time. The channel's close does not wait for the holder: the
 * transport wakes it (its {@code poll(2)} returns) and the holder {@linkplain #stop() stops} the reader as it
 * leaves.
 */
final class CallerReader extends ChannelReader {

	/** The right to read; {@link #paused}, {@link #ownBuffer} and the decoder are its holder's. */
	private final ReentrantLock turn = new ReentrantLock();

	/** Signalled, under {@link #turn}, when reading is resumed or the reader stopped. */
	private final Condition resumed = this.turn.newCondition();

	/** The read buffer of this connection (the loop's is the loop thread's alone); made on the first read. */
	private @Nullable ByteBuffer ownBuffer;

	/** {@link #stop()} was asked for and has not run: whoever holds the turn next runs it. */
	private final AtomicBoolean stopPending = new AtomicBoolean();

	private final ChannelInbox in;

	CallerReader(ImsgChannel channel, Transport transport, EventLoop loop, ChannelOptions options, ImsgBudget budget,
			PeerLogLimiter.Connection warnings, ChannelInbox inbox) {
		super(channel, transport, loop, options, budget, warnings, null, inbox);
		this.in = inbox;
	}

	@Override
	boolean loopReads() {
		return false;
	}

	@Override
	void registered(Poller.Registration registration) {
		// registered without read interest: the loop only writes for this channel
	}

	/**
	 * The next message, reading the socket on this thread while none is queued, waiting up to {@code nanos} in all.
	 *
	 * @return the message, or {@code null} if none came in time
	 * @throws ImsgClosedException once the channel closed and every message before that was taken
	 */
	@Nullable Imsg receive(long nanos) {
		Imsg m = this.in.take(0);
		if (m != null) {
			return m;
		}
		long deadline = System.nanoTime() + nanos;
		try {
			if (!this.turn.tryLock(nanos, TimeUnit.NANOSECONDS)) {
				return null;
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		try {
			return readUntilMessage(deadline);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		finally {
			this.turn.unlock();
			runPendingStop();
		}
	}

	/** Holds the turn. */
	private @Nullable Imsg readUntilMessage(long deadline) throws InterruptedException {
		while (true) {
			Imsg m = this.in.take(0);
			if (m != null) {
				return m;
			}
			long left = deadline - System.nanoTime();
			if (this.channel.isClosed()) {
				return this.in.take(Math.max(left, 0)); // the end marker is on its way: take() throws
			}
			if (left <= 0) {
				return null;
			}
			if (this.paused != 0) {
				this.resumed.awaitNanos(left);
				continue;
			}
			FrameDecoder.Result result;
			try {
				result = this.decoder.readFrom(this.transport, ownBuffer(), this.sink);
			}
			catch (ImsgException ex) {
				this.channel.fail(ex);
				continue;
			}
			catch (IOException ex) {
				readFailed(ex);
				continue;
			}
			if (result == FrameDecoder.Result.EOF) {
				inputClosed();
			}
			else if (result == FrameDecoder.Result.DRAINED && this.in.size() == 0) {
				try {
					if (!this.transport.awaitReadable(left)) {
						return null;
					}
				}
				catch (IOException ex) {
					readFailed(ex);
				}
			}
		}
	}

	private ByteBuffer ownBuffer() {
		ByteBuffer b = this.ownBuffer;
		if (b == null) {
			b = ByteBuffer.allocateDirect(this.options.maxMessageSize() + READ_ROOM).order(ByteOrder.nativeOrder());
			this.ownBuffer = b;
		}
		b.clear();
		return b;
	}

	/** The owner reads only when it calls {@code receive()}, and only while the inbox is empty: nothing to do. */
	@Override
	void queued(int waiting) {
	}

	/**
	 * Only the reading thread pauses itself, in {@code deliver}, and only for its descriptors: it holds the turn.
	 * Any other reason to pause is the owner's not calling {@code receive()}.
	 */
	@Override
	void suspend(int reason) {
		if (reason != PAUSED_FOR_FDS) {
			return;
		}
		this.turn.lock();
		try {
			this.paused |= reason;
		}
		finally {
			this.turn.unlock();
		}
		runPendingStop();
	}

	/** Never waits long: a paused reader waits on {@link #resumed}, not in {@code poll(2)}. */
	@Override
	void resume(int reason) {
		this.turn.lock();
		try {
			this.paused &= ~reason;
			this.resumed.signalAll();
		}
		finally {
			this.turn.unlock();
		}
		runPendingStop(); // a stop that found the turn held here
	}

	/**
	 * Now if no thread is reading, else by that thread as it leaves: the transport's close wakes it from
	 * {@code poll(2)}, and its next call fails at once.
	 */
	@Override
	void stop() {
		this.stopPending.set(true);
		runPendingStop();
	}

	/** Runs a pending stop unless another thread holds the turn (it runs the stop as it leaves). */
	private void runPendingStop() {
		if (!this.stopPending.get() || !this.turn.tryLock()) {
			return;
		}
		try {
			if (this.stopPending.getAndSet(false)) {
				releaseHeld();
				this.resumed.signalAll(); // a reader waiting for a resume learns of the close now
			}
		}
		finally {
			this.turn.unlock();
		}
	}
}
