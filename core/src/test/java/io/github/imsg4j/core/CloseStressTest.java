package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Channels closed, from either end, while several threads send descriptors on them and others receive and take
 * descriptors, on several connections at once; right after each close a bystander socket pair takes whatever
 * descriptor numbers were freed. Nothing may reach a bystander (a write to a closed channel's reused number), every
 * thread must end, and the process's descriptor count must come back: no descriptor sent, received, taken or
 * untaken outlives its owner. Both transports (CI runs the suite on each); a seeded guard over many rounds, not a
 * way to hit a window on demand.
 */
@ExtendWith(OpenFds.class)
class CloseStressTest {

	static final int ROUNDS = 40;

	static final int CONNECTIONS = 3;

	@Test
	void closingWhileSendingAndReceivingDescriptorsLeaksNothingAndWritesNowhereElse() throws Exception {
		Random random = new Random(20261207);
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		for (int round = 0; round < ROUNDS; round++) {
			List<ImsgChannel.Pair> pairs = new ArrayList<>();
			List<Thread> threads = new ArrayList<>();
			AtomicInteger moved = new AtomicInteger();
			for (int c = 0; c < CONNECTIONS; c++) {
				ImsgChannel.Pair pair = ImsgChannel.pair(options);
				pairs.add(pair);
				for (int s = 0; s < 2; s++) {
					threads.add(start(() -> send(pair.first(), moved)));
				}
				threads.add(start(() -> receive(pair.second(), moved)));
			}
			while (moved.get() < 30) {
				Thread.onSpinWait();
			}
			// close each connection from a random end, abruptly or in order, then let a bystander take the numbers
			List<Transport> bystanders = new ArrayList<>();
			try {
				for (ImsgChannel.Pair pair : pairs) {
					ImsgChannel end = random.nextBoolean() ? pair.first() : pair.second();
					if (random.nextBoolean()) {
						end.abort();
					}
					else {
						end.closeWhenFlushed();
					}
					end.closeFuture().handle((v, ex) -> null).get(10, TimeUnit.SECONDS);
					bystanders.addAll(List.of(SocketLayer.get().pair(true)));
				}
				for (Thread t : threads) {
					t.join(10_000);
					assertThat(t.isAlive()).as("round %d: %s ended", round, t.getName()).isFalse();
				}
				ByteBuffer any = ByteBuffer.allocateDirect(64);
				for (Transport b : bystanders) {
					assertThat(b.read(any)).as("round %d: bytes reached a socket made after a close", round).isZero();
				}
			}
			finally {
				for (Transport b : bystanders) {
					b.close();
				}
				pairs.forEach(ImsgChannel.Pair::close);
			}
		}
	}

	private static Thread start(Runnable body) {
		Thread t = new Thread(body, "close-stress");
		t.start();
		return t;
	}

	/** Sends descriptors until the channel refuses: one not queued is still the sender's to close. */
	private static void send(ImsgChannel ch, AtomicInteger moved) {
		while (true) {
			OutboundFd fd = OutboundFd.openReadOnly(Path.of("/dev/null"));
			try {
				ch.compose(1, 0, 0, fd, ByteBuffer.wrap(new byte[] { 1 }));
				moved.incrementAndGet();
			}
			catch (ImsgException ex) {
				fd.close(); // not queued: still the sender's
				return;
			}
		}
	}

	/** Receives and takes every other descriptor (the rest close with their message) until the channel ends. */
	private static void receive(ImsgChannel ch, AtomicInteger moved) {
		boolean take = false;
		while (true) {
			try (Imsg m = ch.receive(Duration.ofSeconds(10))) {
				if (m == null) {
					return;
				}
				if (take && m.hasFd()) {
					Fds.close(m.takeFd());
				}
				take = !take;
				moved.incrementAndGet();
			}
			catch (ImsgClosedException ex) {
				return;
			}
		}
	}
}
