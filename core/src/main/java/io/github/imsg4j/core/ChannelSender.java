package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.OutgoingFd;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.Transport;
import io.github.imsg4j.core.internal.WriteQueue;
import org.jspecify.annotations.Nullable;

/**
 * The sending half of an {@link ImsgChannel}: the bounded write queue, back-pressure on senders, and writing the
 * queue to the socket. Also the channel's open/closing/closed state, because "still open" and "append" must be one
 * step against a close that discards the queue.
 *
 * <p>One scheme: everything is guarded by {@link #lock}; socket writes happen outside it, by whichever thread
 * {@link WriteQueue#nextWrite} hands the single {@link WriteQueue.Write} to (a sender in {@link #flush()}, or the
 * loop). The registration's write interest is changed on the loop only.
 */
final class ChannelSender {

	private static final int OWN_PID = (int) ProcessHandle.current().pid();

	static final int OPEN = 0;

	static final int CLOSING = 1;

	static final int CLOSED = 2;

	private final ImsgChannel channel;

	private final Transport transport;

	private final EventLoop loop;

	private final ChannelOptions options;

	private final ImsgBudget budget;

	private final ReentrantLock lock = new ReentrantLock();

	/** Signalled whenever the write queue shrinks or the channel closes. */
	private final Condition drained = this.lock.newCondition();

	private final WriteQueue queue = new WriteQueue();

	/** The queue's bytes as reserved from {@link #budget}. */
	private long budgetedBytes;

	/** The one write in flight; whoever {@link WriteQueue#nextWrite} handed it to uses it, without the lock. */
	private final WriteQueue.Write write = new WriteQueue.Write();

	/** Written under the lock, read anywhere. */
	private volatile int state = OPEN;

	private volatile @Nullable Throwable closeCause;

	/** Set by {@link #startClosing(boolean) startClosing(true)}: the loop closes the channel once the queue is empty. */
	private volatile boolean closeWhenEmpty;

	private final AtomicBoolean flushScheduled = new AtomicBoolean();

	private final Runnable flushTask = this::flushFromLoop;

	/** Loop thread only. */
	private Poller.@Nullable Registration key;

	/** A caller-reads channel: a message into an empty queue is written on the sender's thread at once. */
	private final boolean callerWrites;

	ChannelSender(ImsgChannel channel, Transport transport, EventLoop loop, ChannelOptions options,
			ImsgBudget budget, boolean callerWrites) {
		this.channel = channel;
		this.transport = transport;
		this.loop = loop;
		this.options = options;
		this.budget = budget;
		this.callerWrites = callerWrites;
	}

	/** On the loop, once the socket is registered. */
	void registered(Poller.Registration registration) {
		assert this.loop.confinedHere() : "loop-confined";
		this.key = registration;
	}

	// ---------------------------------------------------------------- state

	boolean isOpen() {
		return this.state == OPEN;
	}

	boolean isClosed() {
		return this.state == CLOSED;
	}

	/**
	 * Refuses new messages from now on.
	 *
	 * @param whenEmpty whether the loop closes the channel itself once the queue is written
	 * @return {@code false} when the channel was already closing or closed
	 */
	boolean startClosing(boolean whenEmpty) {
		this.lock.lock();
		try {
			if (this.state != OPEN) {
				return false;
			}
			this.state = CLOSING;
			this.closeWhenEmpty = whenEmpty;
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Closed: discards the queue, gives its bytes back to the budget and wakes every waiting sender.
	 *
	 * @return {@code false} when it was already closed
	 */
	boolean markClosed(@Nullable Throwable cause) {
		this.lock.lock();
		try {
			if (this.state == CLOSED) {
				return false;
			}
			this.state = CLOSED;
			this.closeCause = cause;
			this.queue.discard();
			releaseWrittenBytes();
			this.drained.signalAll();
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	ImsgClosedException closedException() {
		Throwable cause = this.closeCause;
		String msg = this.channel.name() + " is closed";
		return (cause != null) ? new ImsgClosedException(msg + ": " + cause.getMessage(), cause)
				: new ImsgClosedException(msg);
	}

	private void ensureOpen() {
		if (this.state != OPEN) {
			throw closedException();
		}
	}

	// ---------------------------------------------------------------- queueing

	/** Queues a message whose payload is {@code single}, or {@code parts} when {@code single} is null. */
	void enqueue(int type, int peerid, int pid, @Nullable OutboundFd fd, @Nullable ByteBuffer single,
			ByteBuffer[] parts, long waitNanos) {
		long len = WireFormat.HEADER_SIZE;
		if (single != null) {
			len += single.remaining();
		}
		for (ByteBuffer part : parts) {
			len += part.remaining();
		}
		if (len > this.options.maxMessageSize()) {
			throw new ImsgSizeException(this.channel.name() + ": message type " + Integer.toUnsignedString(type)
					+ " of " + len + " bytes (header included) exceeds the channel's maximum of "
					+ this.options.maxMessageSize());
		}
		boolean wasEmpty = false;
		boolean overBudget = true;
		boolean overdraw = false;
		while (overBudget) {
			overBudget = false;
			this.lock.lock();
			try {
				ensureOpen();
				awaitRoom(len, fd != null, waitNanos);
				boolean fits = this.budget.tryReserveBytes(len);
				if (!fits && overdraw && this.budgetedBytes == 0) {
					// As the write-queue limit does, the budget takes one message into an empty queue: this
					// connection holds nothing, so it is not the one that filled the budget.
					this.budget.reserveBytesOver(len);
					fits = true;
				}
				if (fits) {
					this.budgetedBytes += len;
					wasEmpty = this.queue.isEmpty(); // a write in flight always leaves bytes queued until it completes
					int headerPid = (pid == 0) ? OWN_PID : pid;
					OutgoingFd outgoing = (fd != null) ? fd.claim() : null;
					if (single != null) {
						this.queue.append(this.options.wireFormat(), type, (int) len, peerid, headerPid, outgoing, single);
					}
					else {
						this.queue.append(this.options.wireFormat(), type, (int) len, peerid, headerPid, outgoing, parts);
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
			// that one's. When nobody can give bytes back at once (what is left belongs to this connection, or to
			// connections already closing), one more round may overdraw for an empty queue.
			if (!overBudget) {
				break;
			}
			if (!this.budget.evictLargestBut(this.channel, len)) {
				if (overdraw) {
					break;
				}
				overdraw = true;
			}
		}
		if (overBudget) {
			ImsgLimitException over = new ImsgLimitException(this.channel.name() + ": messages queued across "
					+ "connections are at the shared " + this.budget
					+ "; closing this connection, which does not read what is sent to it");
			this.channel.fail(over);
			throw over;
		}
		if (wasEmpty && (this.callerWrites || fd != null) && !this.loop.inLoop()) {
			// A blocking client (caller reads): the loop is not woken for a request whose reply this thread reads.
			// A message with a descriptor goes in a sendmsg of its own anyway (the descriptor rides on its first
			// byte), so there is no batch for the loop to gather: writing it here saves the loop's turn for every
			// message of a descriptor-heavy stream. If the socket is full the loop takes over.
			flush();
		}
		else if (wasEmpty) {
			// A queue that held bytes already has someone to write them: a write in flight (its thread loops until the
			// queue is empty), a flush task, or the loop waiting for room. So the loop is woken once per batch.
			scheduleFlush();
		}
	}

	/**
	 * Waits, holding the lock, until {@code len} more bytes (and a descriptor, if {@code fd}) fit; one message
	 * always fits an empty queue.
	 */
	private void awaitRoom(long len, boolean fd, long waitNanos) {
		long nanos = waitNanos;
		while (!fits(len) || (fd && this.queue.queuedFds() >= ImsgChannel.MAX_QUEUED_FDS)) {
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
				if (fits(len) && !(fd && this.queue.queuedFds() >= ImsgChannel.MAX_QUEUED_FDS)) {
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
				throw new ImsgQueueFullException(this.channel.name()
						+ ": interrupted while waiting for room in the write queue");
			}
			ensureOpen();
		}
	}

	/** Gives the budget back what the queue no longer holds. Holds the lock. */
	private void releaseWrittenBytes() {
		long queued = this.queue.queuedBytes();
		this.budget.releaseBytes(this.budgetedBytes - queued);
		this.budgetedBytes = queued;
	}

	private boolean fits(long len) {
		long queued = this.queue.queuedBytes();
		return queued == 0 || queued + len <= this.options.writeQueueLimit();
	}

	private ImsgQueueFullException queueFull(long len) {
		return new ImsgQueueFullException(this.channel.name() + ": write queue full (" + this.queue.queuedBytes()
				+ " bytes in " + this.queue.queuedMessages() + " messages and " + this.queue.queuedFds()
				+ " descriptors queued, limits " + this.options.writeQueueLimit() + " bytes and "
				+ ImsgChannel.MAX_QUEUED_FDS + " descriptors); a message of " + len + " bytes does not fit");
	}

	/** See {@link ImsgChannel#awaitRoom(Duration)}. */
	boolean awaitRoom(Duration timeout) {
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

	int queueLength() {
		this.lock.lock();
		try {
			return this.queue.queuedMessages();
		}
		finally {
			this.lock.unlock();
		}
	}

	long queuedBytes() {
		this.lock.lock();
		try {
			return this.queue.queuedBytes();
		}
		finally {
			this.lock.unlock();
		}
	}

	/** The queue's bytes as booked against the budget (a write in flight still counts until it completes). */
	long budgetedBytes() {
		this.lock.lock();
		try {
			return this.budgetedBytes;
		}
		finally {
			this.lock.unlock();
		}
	}

	// ---------------------------------------------------------------- writing

	/** See {@link ImsgChannel#flush()}. */
	void flush() {
		if (!writeQueued()) {
			scheduleFlush();
		}
	}

	/** See {@link ImsgChannel#flush(Duration)}. */
	boolean flush(Duration timeout) {
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
	boolean writeQueued() {
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
			long n;
			Exception failure = null;
			try {
				n = this.transport.write(write.buffers(), write.count(), write.fd());
			}
			catch (IOException | RuntimeException ex) {
				// A runtime failure too: the write must complete below, or the queue would keep it in flight.
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
				this.channel.fail(new ImsgIoException(this.channel.name() + ": write failed: " + failure.getMessage(),
						failure));
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
	 * and {@link ImsgChannel#close()} wait for), or down to half its byte and descriptor limits. Waking a sender
	 * that waits at a full queue after every write would cost a context switch per message (one write per message
	 * with a descriptor); from half full it appends many before it waits again. Holds the lock.
	 */
	private boolean roomToSignal() {
		return this.queue.isEmpty() || this.state == CLOSED
				|| (this.queue.queuedBytes() <= this.options.writeQueueLimit() / 2
						&& this.queue.queuedFds() <= ImsgChannel.MAX_QUEUED_FDS / 2);
	}

	private void scheduleFlush() {
		if (this.flushScheduled.compareAndSet(false, true)) {
			this.loop.execute(this.flushTask);
		}
	}

	/** On the loop: writes what the socket takes, waits for room for the rest, or closes once empty if asked to. */
	void flushFromLoop() {
		assert this.loop.confinedHere() : "loop-confined";
		this.flushScheduled.set(false);
		boolean done = writeQueued();
		if (done && this.closeWhenEmpty && this.state != CLOSED && queuedBytes() == 0) {
			this.channel.closeNow(null, true);
			return;
		}
		setWriteInterest(!done);
	}

	private void setWriteInterest(boolean on) {
		assert this.loop.confinedHere() : "loop-confined";
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
}
