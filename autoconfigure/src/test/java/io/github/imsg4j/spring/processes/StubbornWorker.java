package io.github.imsg4j.spring.processes;

import java.util.concurrent.CountDownLatch;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgChannel;

/**
 * A compromised worker, as its parent must assume one day: it takes its socket from the parent, then (first
 * argument) {@code hang-up}: closes it and stays alive; or {@code exit}: exits with status 3 at once. Either way
 * it ignores {@code SIGTERM} and {@code SIGHUP} first, so only {@code SIGKILL} ends it. It writes
 * {@code ignoring} to its standard output once the signals are ignored, so that a test can tell.
 */
public final class StubbornWorker {

	private StubbornWorker() {
	}

	/**
	 * @param args {@code hang-up} or {@code exit}
	 * @throws InterruptedException never: it waits until killed
	 */
	public static void main(String[] args) throws InterruptedException {
		sun.misc.Signal.handle(new sun.misc.Signal("TERM"), (s) -> {
		});
		sun.misc.Signal.handle(new sun.misc.Signal("HUP"), (s) -> {
		});
		ImsgChannel parent = ImsgChannel.fromParent(3, ChannelOptions.defaults(), null);
		if ("exit".equals(args[0])) {
			System.exit(3);
		}
		parent.abort();
		new CountDownLatch(1).await();
	}
}
