package io.github.imsg4j.core.internal;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lifetime of one socket's descriptor number, kept the way the JDK's NIO keeps a channel's: every system call
 * on the number {@linkplain #begin() takes a use}, {@link #close(Runnable)} marks the number closing, and the number is
 * given back to the kernel only when the last call in progress has {@linkplain #end() returned}. A thread that
 * read the number just before another closed it can therefore never reach whatever socket or file the kernel
 * gives that number next: another connection's peer included.
 *
 * <p>One scheme: a single atomic word, the count of calls in progress plus a closing bit. No lock is held across
 * a system call, and a call never waits for another.
 */
public final class DescriptorLifetime {

	private static final int CLOSING = 1 << 30;

	private final AtomicInteger state = new AtomicInteger();

	/** Gives the number back; runs once, on the thread that ends the last use after {@link #close(Runnable)}. */
	private final Runnable release;

	private final CompletableFuture<Void> released = new CompletableFuture<>();

	/**
	 * @param release closes the number (and whatever only the socket's owner may close with it); must not throw
	 */
	public DescriptorLifetime(Runnable release) {
		this.release = release;
	}

	/**
	 * Takes a use of the number for one system call; pair with {@link #end()} in a {@code finally}.
	 *
	 * @throws ClosedChannelException once {@link #close(Runnable)} was called: the number must not be used
	 */
	public void begin() throws ClosedChannelException {
		int s;
		do {
			s = this.state.get();
			if ((s & CLOSING) != 0) {
				throw new ClosedChannelException();
			}
		}
		while (!this.state.compareAndSet(s, s + 1));
	}

	/** Ends a use taken by {@link #begin()}; the last one after {@link #close(Runnable)} releases the number. */
	public void end() {
		if (this.state.decrementAndGet() == CLOSING) {
			releaseNow();
		}
	}

	/**
	 * Marks the number closing: no new use begins, and the number is released now if no call is in progress, else
	 * by the last one as it ends. When calls are in progress, {@code wake} runs first, under a use of its own (so
	 * the number it touches is still this socket's): it should make a call blocked in the kernel return, as
	 * {@code shutdown(2)} does for a thread in {@code poll(2)}. Idempotent.
	 *
	 * @param wake wakes a call blocked on the number; must not throw
	 */
	public void close(Runnable wake) {
		int s;
		do {
			s = this.state.get();
			if ((s & CLOSING) != 0) {
				return;
			}
		}
		while (!this.state.compareAndSet(s, (s == 0) ? CLOSING : (s | CLOSING) + 1));
		if (s == 0) {
			releaseNow();
			return;
		}
		try {
			wake.run();
		}
		finally {
			end();
		}
	}

	/** @return whether {@link #close(Runnable)} was called (the number may still be in use by a call in progress) */
	public boolean isClosing() {
		return (this.state.get() & CLOSING) != 0;
	}

	/** @return how many calls are in progress: for tests and assertions */
	public int usesInProgress() {
		return this.state.get() & ~CLOSING;
	}

	/** @return completes once the number went back to the kernel */
	public CompletableFuture<Void> released() {
		return this.released;
	}

	private void releaseNow() {
		try {
			this.release.run();
		}
		finally {
			this.released.complete(null);
		}
	}
}
