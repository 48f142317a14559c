package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shared {@link ImsgBudget}: connections that together go over it are closed one by one as each goes
 * over, the budget is given back as they close, and a connection that stays within it is served throughout.
 * And the {@link PeerLogLimiter}: however many connections log, the lines at their own level stay within the
 * burst plus the rate.
 */
@ExtendWith(OpenFds.class)
class BudgetTest {

	private static final Duration WAIT = Duration.ofSeconds(10);

	@Test
	void theConnectionThatGoesOverTheSharedBudgetIsClosedAndOthersAreServed() {
		ImsgBudget budget = new ImsgBudget(64 * 1024, 8);
		ChannelOptions options = ChannelOptions.defaults().withBudget(budget);
		try (ImsgChannel.Pair hog = ImsgChannel.pair(options); ImsgChannel.Pair good = ImsgChannel.pair(options)) {
			// hog.second() never takes what arrives: its inbox holds the budget until it is over.
			ByteBuffer kilobyte = ByteBuffer.allocate(1024);
			try {
				for (int i = 0; i < 200; i++) {
					hog.first().tryCompose(1, 0, 0, null, kilobyte.duplicate());
				}
			}
			catch (ImsgClosedException ex) {
				// the hog was cut off while sending
			}
			// Whichever end's reservation went over (the receiver's inbox, or the sender's queue) is closed for it.
			java.util.concurrent.CompletableFuture.anyOf(failure(hog.first()), failure(hog.second()))
				.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
			assertThat(java.util.stream.Stream.of(hog.first(), hog.second())
				.map((c) -> c.closeFuture().handle((v, e) -> e).getNow(null))
				.anyMatch((e) -> e instanceof ImsgLimitException)).isTrue();
			drain(hog.second());
			// What the hog held is given back; the good pair is served.
			good.first().send(2, new byte[100]);
			try (Imsg m = good.second().receive(WAIT)) {
				assertThat(m).isNotNull();
				assertThat(m.length()).isEqualTo(100);
			}
			// The peer can read the message before the sender's loop has booked its write as done: flush returns
			// once it has, and the bytes are given back in that same step.
			assertThat(good.first().flush(WAIT)).isTrue();
			assertThat(budget.usedBytes()).isZero();
		}
		assertThat(budget.usedBytes()).isZero();
		assertThat(budget.usedFds()).isZero();
	}

	/**
	 * The budget is full of what one connection queued for a peer that does not read, and another connection,
	 * which holds nothing, asks for room: the one holding the most is closed and the asker is served, rather
	 * than the asker being cut off for the other's sake.
	 */
	@Test
	void aFullBudgetClosesTheConnectionHoldingTheMostNotTheOneAsking() throws Exception {
		ImsgBudget budget = new ImsgBudget(64 * 1024, 8);
		ChannelOptions options = ChannelOptions.defaults().withBudget(budget);
		try (ImsgChannel.Pair hog = ImsgChannel.pair(options); ImsgChannel.Pair good = ImsgChannel.pair(options)) {
			hog.second().pauseReadingAsync().get(10, java.util.concurrent.TimeUnit.SECONDS);
			ByteBuffer kilobyte = ByteBuffer.allocate(1024);
			// The kernel's socket buffers take the first few hundred kilobytes; then the hog's queue fills the budget.
			// Full means the queue does not drain even when given the time to (a write the loop took may still be
			// under way when flush() returns at once; on a loaded machine it can then free the budget after the
			// check, and the request below would fit without anyone being cut off).
			while (true) {
				hog.first().tryCompose(1, 0, 0, null, kilobyte.duplicate());
				if (budget.usedBytes() >= 60 * 1024 && !hog.first().flush(Duration.ofMillis(500))
						&& budget.usedBytes() >= 60 * 1024) {
					break;
				}
			}
			// 16,000 bytes fit only if the hog gives back at least 12 KiB: not by a write of its own completing in
			// the meantime (its peer reads nothing), only by being closed
			good.first().send(2, new byte[16000]);
			try (Imsg m = good.second().receive(WAIT)) {
				assertThat(m).as("the connection that asked is served").isNotNull();
				assertThat(m.length()).isEqualTo(16000);
			}
			// whichever end of the hog held more was cut off for it: its sender's queue, or its receiver's inbox,
			// which on the FFM transport may still take what the loop read before the pause took hold
			java.util.concurrent.CompletableFuture.anyOf(failure(hog.first()), failure(hog.second()))
				.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
			assertThat(good.first().isOpen()).isTrue();
			assertThat(good.second().isOpen()).isTrue();
		}
		assertThat(budget.usedBytes()).isZero();
	}

	private static java.util.concurrent.CompletableFuture<?> failure(ImsgChannel ch) {
		java.util.concurrent.CompletableFuture<Object> f = new java.util.concurrent.CompletableFuture<>();
		ch.closeFuture().whenComplete((v, e) -> {
			if (e instanceof ImsgLimitException) {
				f.complete(e);
			}
		});
		return f;
	}

	/** Takes everything up to the end of a closed channel: messages may still be on their way in. */
	private static void drain(ImsgChannel ch) {
		try {
			Imsg m;
			while ((m = ch.receive(WAIT)) != null) {
				m.close();
			}
		}
		catch (ImsgClosedException ex) {
			// the end
		}
	}

	@Test
	void aBudgetRefusesWhatDoesNotFit() {
		ImsgBudget budget = new ImsgBudget(10, 1);
		assertThat(budget.tryReserveBytes(10)).isTrue();
		assertThat(budget.tryReserveBytes(1)).isFalse();
		budget.releaseBytes(10);
		assertThat(budget.tryReserveFd()).isTrue();
		assertThat(budget.tryReserveFd()).isFalse();
		budget.releaseFds(1);
		assertThat(budget.usedFds()).isZero();
		assertThatThrownBy(() -> new ImsgBudget(0, 1)).hasMessageContaining("at least 1B");
	}

	@Test
	void peerLogLinesStayWithinTheBurstPlusTheRateWhateverTheConnections() {
		PeerLogLimiter limiter = new PeerLogLimiter(10, 20, 100);
		long start = System.nanoTime();
		int logged = 0;
		int debug = 0;
		for (int c = 0; c < 1000; c++) {
			PeerLogLimiter.Connection conn = limiter.connection();
			for (int i = 0; i < 20; i++) {
				PeerLogLimiter.Verdict v = conn.next();
				logged += (v == PeerLogLimiter.Verdict.LOG) ? 1 : 0;
				debug += (v == PeerLogLimiter.Verdict.DEBUG) ? 1 : 0;
			}
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		assertThat(logged + debug).as("lines let through for 20,000 attempts in %.2f s", seconds)
			.isLessThanOrEqualTo(100 + (int) Math.ceil(20 * seconds) + 1);
		assertThat(limiter.droppedCount()).isGreaterThan(0);
		PeerLogLimiter.Connection one = new PeerLogLimiter(2, 1000, 1000).connection();
		assertThat(one.next()).isEqualTo(PeerLogLimiter.Verdict.LOG);
		assertThat(one.next()).isEqualTo(PeerLogLimiter.Verdict.LOG);
		assertThat(one.next()).isEqualTo(PeerLogLimiter.Verdict.DEBUG);
		assertThat(PeerLogLimiter.escape("a\nforged INFO line\u0000", 100)).isEqualTo("\"a\\nforged INFO line\\u0000\"");
	}
}
