package io.github.imsg4j.cli;

import java.util.concurrent.CountDownLatch;

import io.github.imsg4j.core.StopSignals;

/**
 * Waits for SIGTERM or SIGINT, so that long-running subcommands can clean up (remove their socket) and exit 0
 * as the bench protocol asks; a JVM killed by a signal otherwise exits with 128 + the signal's number.
 */
final class Termination {

	private final CountDownLatch signalled = new CountDownLatch(1);

	Termination() {
		StopSignals.onStop(this.signalled::countDown);
	}

	void await() throws InterruptedException {
		this.signalled.await();
	}
}
