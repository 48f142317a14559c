package io.github.imsg4j.spring;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.github.imsg4j.core.Imsg;

/**
 * The requests of one session awaiting their replies ({@link ImsgSession#request}), in the order they were
 * made: each takes the first message it matches. Thread-safe; the event loop offers messages, any thread adds.
 */
final class ReplyWaiters {

	/** A request's reply: which messages are it, and who waits. */
	record Waiter(Predicate<Imsg> matches, CompletableFuture<Imsg> reply) {
	}

	private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();

	/** Set by the first request, before its waiter is queued (and before its request is sent). */
	private volatile boolean everWaited;

	/** Registers a waiter before its request is sent, so that no reply can come before it waits. */
	Waiter await(Predicate<Imsg> matches) {
		Waiter w = new Waiter(matches, new CompletableFuture<>());
		this.everWaited = true;
		this.waiters.add(w);
		return w;
	}

	/** The request could not be sent: the waiter fails with why. */
	void cancel(Waiter w, Throwable cause) {
		this.waiters.remove(w);
		w.reply().completeExceptionally(cause);
	}

	/** Fails the waiter with {@link ImsgReplyTimeoutException} if no reply came within {@code timeout}. */
	void timeOutAfter(Waiter w, Duration timeout, Supplier<String> message) {
		CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
			if (w.reply().completeExceptionally(new ImsgReplyTimeoutException(message.get()))) {
				this.waiters.remove(w);
			}
		});
	}

	/**
	 * On the loop thread: gives the message to the oldest waiter it answers, completing it on {@code executor}
	 * (whatever the caller chained to the future must not stall the loop).
	 *
	 * @return whether a waiter took it
	 */
	boolean offer(Imsg message, Executor executor) {
		if (!this.everWaited) {
			return false; // most sessions never make a request: nothing to look at per message for them
		}
		for (Waiter w : this.waiters) {
			if (w.reply().isDone()) {
				this.waiters.remove(w); // timed out or failed meanwhile
				continue;
			}
			if (w.matches().test(message) && this.waiters.remove(w)) {
				executor.execute(() -> {
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
	void failAll(Throwable cause) {
		Waiter w;
		while ((w = this.waiters.poll()) != null) {
			w.reply().completeExceptionally(cause);
		}
	}
}
