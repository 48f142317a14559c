package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.imsg4j.core.OpenFds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The race {@link DescriptorLifetime} exists for: a thread is inside a system call on a socket's number when
 * another thread closes the socket. The number (a real open file here) must stay open until that call returns,
 * or the call could reach whatever the kernel gives the number to next.
 */
@ExtendWith(OpenFds.class)
class DescriptorLifetimeTest {

	@Test
	void aCloseDuringACallLeavesTheNumberOpenUntilTheCallReturns() throws Exception {
		try (RandomAccessFile file = new RandomAccessFile("/dev/null", "r")) {
			AtomicReference<String> releasedOn = new AtomicReference<>();
			DescriptorLifetime lifetime = new DescriptorLifetime(() -> {
				releasedOn.set(Thread.currentThread().getName());
				closeQuietly(file);
			});
			CountDownLatch inCall = new CountDownLatch(1);
			CountDownLatch mayReturn = new CountDownLatch(1);
			Thread caller = new Thread(() -> {
				try {
					lifetime.begin();
				}
				catch (ClosedChannelException ex) {
					throw new AssertionError(ex);
				}
				try {
					inCall.countDown();
					mayReturn.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					lifetime.end();
				}
			}, "in-sendmsg");
			caller.start();
			inCall.await();

			lifetime.close(() -> {
			});
			assertThat(lifetime.isClosing()).isTrue();
			assertThat(file.getChannel().isOpen()).as("number still open under the call").isTrue();
			assertThat(lifetime.released()).isNotDone();
			assertThatExceptionOfType(ClosedChannelException.class).as("no call begins after close")
				.isThrownBy(lifetime::begin);

			mayReturn.countDown();
			caller.join();
			assertThat(lifetime.released()).isDone();
			assertThat(file.getChannel().isOpen()).isFalse();
			assertThat(releasedOn.get()).as("the last call gives the number back").isEqualTo("in-sendmsg");
		}
	}

	@Test
	void theWakeRunsUnderAUseOfItsOwnSoItsNumberIsStillThisSockets() throws Exception {
		DescriptorLifetime lifetime = new DescriptorLifetime(() -> {
		});
		lifetime.begin(); // a reader in poll(2)
		AtomicInteger usesDuringWake = new AtomicInteger(-1);
		lifetime.close(() -> usesDuringWake.set(lifetime.usesInProgress()));
		assertThat(usesDuringWake.get()).isEqualTo(2);
		assertThat(lifetime.released()).isNotDone();
		lifetime.end();
		assertThat(lifetime.released()).isDone();
	}

	@Test
	void aCloseWithNoCallInProgressReleasesAtOnceAndOnlyOnce() throws Exception {
		AtomicInteger releases = new AtomicInteger();
		AtomicInteger wakes = new AtomicInteger();
		DescriptorLifetime lifetime = new DescriptorLifetime(releases::incrementAndGet);
		lifetime.close(wakes::incrementAndGet);
		lifetime.close(wakes::incrementAndGet);
		assertThat(releases.get()).isEqualTo(1);
		assertThat(wakes.get()).as("nothing to wake").isZero();
		assertThat(lifetime.released()).isDone();
	}

	@Test
	void underRacingCallsTheReleaseRunsOnceAndNeverDuringACall() throws Exception {
		for (int round = 0; round < 200; round++) {
			AtomicInteger inCall = new AtomicInteger();
			AtomicInteger releases = new AtomicInteger();
			AtomicInteger releasedDuringCall = new AtomicInteger();
			DescriptorLifetime lifetime = new DescriptorLifetime(() -> {
				releases.incrementAndGet();
				if (inCall.get() != 0) {
					releasedDuringCall.incrementAndGet();
				}
			});
			CountDownLatch start = new CountDownLatch(1);
			List<Thread> callers = new ArrayList<>();
			for (int t = 0; t < 3; t++) {
				Thread th = new Thread(() -> {
					awaitQuietly(start);
					while (true) {
						try {
							lifetime.begin();
						}
						catch (ClosedChannelException ex) {
							return;
						}
						inCall.incrementAndGet();
						Thread.onSpinWait();
						inCall.decrementAndGet();
						lifetime.end();
					}
				});
				th.start();
				callers.add(th);
			}
			start.countDown();
			lifetime.close(() -> {
			});
			for (Thread th : callers) {
				th.join();
			}
			assertThat(releases.get()).isEqualTo(1);
			assertThat(releasedDuringCall.get()).isZero();
			assertThat(lifetime.usesInProgress()).isZero();
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void closeQuietly(RandomAccessFile file) {
		try {
			file.close();
		}
		catch (IOException ex) {
			throw new AssertionError(ex);
		}
	}
}
