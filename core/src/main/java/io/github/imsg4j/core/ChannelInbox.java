package io.github.imsg4j.core;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Messages waiting for {@link ImsgChannel#receive}, on a channel made without a listener, with the bytes they
 * hold of the shared budget.
 *
 * <p>One scheme: the queue is a {@link LinkedBlockingQueue} (the loop adds, the owner's threads take); the byte
 * count is guarded by this object's monitor.
 */
final class ChannelInbox {

	/** After the last message: the channel closed. */
	private static final Object END = new Object();

	private final ImsgChannel channel;

	private final ImsgBudget budget;

	private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

	/** Bytes reserved from {@link #budget} for the queued messages. */
	private long bytes;

	/** Set by a local close: messages still arriving are closed, not queued. */
	private volatile boolean discarding;

	ChannelInbox(ImsgChannel channel, ImsgBudget budget) {
		this.channel = channel;
		this.budget = budget;
	}

	/**
	 * Books a message's bytes against the shared budget before it is queued.
	 *
	 * @return {@code false} when the budget has no room
	 */
	boolean reserve(Imsg message) {
		long size = size(message);
		if (!this.budget.tryReserveBytes(size)) {
			return false;
		}
		synchronized (this) {
			this.bytes += size;
		}
		return true;
	}

	/**
	 * Queues a reserved message.
	 *
	 * @return the number of messages waiting, or -1 when the channel was closed locally meanwhile and the message
	 *         was closed instead
	 */
	int add(Imsg message) {
		this.queue.add(message);
		if (this.discarding) {
			discardAll();
			return -1;
		}
		return this.queue.size();
	}

	/**
	 * The next message, waiting up to {@code nanos}; {@code null} if none came.
	 *
	 * @throws ImsgClosedException once the channel closed and every message before that was taken
	 */
	@Nullable Imsg take(long nanos) {
		Object next;
		try {
			next = this.queue.poll(nanos, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		if (next == null) {
			return null;
		}
		if (next == END) {
			this.queue.add(END);
			throw this.channel.closedException();
		}
		Imsg message = (Imsg) next;
		release(message);
		return message;
	}

	int size() {
		return this.queue.size();
	}

	/** The channel closed: {@link #take} ends after the messages already queued. */
	void end() {
		this.queue.add(END);
	}

	/** The owner is done with the channel: every queued message and every one still arriving is closed. */
	void discard() {
		this.discarding = true;
		discardAll();
	}

	/** Bytes the queued messages hold of the budget. */
	synchronized long bytes() {
		return this.bytes;
	}

	private void release(Imsg message) {
		long size = size(message);
		synchronized (this) {
			// a message the close already accounted for is not released twice
			size = Math.min(size, this.bytes);
			this.bytes -= size;
		}
		this.budget.releaseBytes(size);
		this.channel.untrackOnceEmpty();
	}

	/** Closes every queued message; keeps the end marker if it was there. */
	private void discardAll() {
		boolean end = false;
		Object pending;
		while ((pending = this.queue.poll()) != null) {
			if (pending instanceof Imsg m) {
				release(m);
				m.close();
			}
			else {
				end = true;
			}
		}
		if (end) {
			this.queue.add(END);
		}
	}

	/** What a queued message counts for against the budget. */
	static long size(Imsg message) {
		return WireFormat.HEADER_SIZE + message.length();
	}
}
