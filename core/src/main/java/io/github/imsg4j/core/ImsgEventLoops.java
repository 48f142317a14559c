package io.github.imsg4j.core;

import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.internal.EventLoop;

/**
 * A small fixed set of event-loop threads that serve channels; each channel stays on one loop for its whole
 * life, so its events are handled in order. {@link #shared()} is enough for most programs; a separate group
 * isolates channels that must not share threads with others.
 */
public final class ImsgEventLoops implements AutoCloseable {

	private static final class Shared {

		static final ImsgEventLoops INSTANCE = new ImsgEventLoops(
				Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())), "imsg-loop");
	}

	private final EventLoop[] loops;

	private final AtomicInteger next = new AtomicInteger();

	/**
	 * Starts {@code threads} loops whose threads are named {@code prefix-N}.
	 *
	 * @param threads how many loops, at least 1
	 * @param prefix the thread name prefix
	 */
	public ImsgEventLoops(int threads, String prefix) {
		if (threads < 1) {
			throw new IllegalArgumentException("an event loop group needs at least one thread, got " + threads);
		}
		this.loops = new EventLoop[threads];
		for (int i = 0; i < threads; i++) {
			this.loops[i] = new EventLoop(prefix + "-" + i);
		}
	}

	/**
	 * The process-wide loops: one per CPU, at most two, daemon threads that are never stopped.
	 *
	 * @return the shared group
	 */
	public static ImsgEventLoops shared() {
		return Shared.INSTANCE;
	}

	/**
	 * How many loops this group runs.
	 *
	 * @return the number of threads
	 */
	public int size() {
		return this.loops.length;
	}

	EventLoop next() {
		return this.loops[Math.floorMod(this.next.getAndIncrement(), this.loops.length)];
	}

	/** Stops the loops. Close the channels served by them first. The shared group cannot be closed. */
	@Override
	public void close() {
		if (this == Shared.INSTANCE) {
			throw new IllegalStateException("the shared event loops cannot be closed");
		}
		for (EventLoop loop : this.loops) {
			loop.shutdown();
		}
	}
}
