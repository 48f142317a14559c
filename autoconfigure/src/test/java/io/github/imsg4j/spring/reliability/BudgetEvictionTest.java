package io.github.imsg4j.spring.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgBudget;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.CapturedLogs;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The attack of issue 21 on the shared budget: peers of the daemon's own user send 16 KB requests and never read
 * the replies, reconnecting whenever they are cut off, while a well-behaved client opens a connection per round,
 * writes four 16 KB requests at once (far below its own write-queue limit) and reads the four replies. The budget
 * is full most of the time; when the well-behaved client's requests do not fit, the connection that holds the
 * most of it (a non-reader, counting the requests it has waiting for handlers as well as its unread replies) must
 * be the one closed, never the asker. Before, messages waiting for handlers were reserved where eviction could not
 * see them and the asker was closed: about 1.5% of the rounds ended without replies.
 */
@ExtendWith({ OpenFds.class, CapturedLogs.class })
class BudgetEvictionTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	static final int SIZE = 16000;

	@TempDir
	Path dir;

	/** Type 1 is a ping: the reply, type 2, carries the request's bytes back. */
	static class Echo {

		@ImsgHandler(type = 1, replyType = 2)
		byte[] ping(byte[] payload) {
			return payload;
		}
	}

	@Test
	void aWellBehavedClientGetsEveryReplyWhileNonReadersFillTheBudget() throws Exception {
		Path sock = this.dir.resolve("evict.sock");
		long budgetBytes = 1024 * 1024;
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Echo.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.endpoints.e.write-queue-limit=512KB",
					"imsg.budget.memory=" + budgetBytes + "B")
			.run((context) -> {
				ImsgBudget budget = context.getBean(ImsgBudget.class);
				AtomicBoolean stop = new AtomicBoolean();
				AtomicInteger cutOff = new AtomicInteger();
				List<Thread> attackers = new ArrayList<>();
				for (int a = 0; a < 6; a++) {
					Thread t = new Thread(() -> attack(sock, stop, cutOff), "attacker-" + a);
					attackers.add(t);
					t.start();
				}
				int rounds = 2000;
				try {
					// the attack is under way: the budget has been full at least once
					await().atMost(WAIT).until(() -> cutOff.get() > 0);
					ByteBuffer ping = ByteBuffer.allocate(SIZE);
					for (int r = 0; r < rounds; r++) {
						try (ImsgChannel good = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
							for (int i = 0; i < 4; i++) {
								good.compose(1, 0, 0, null, ping.duplicate());
							}
							for (int i = 0; i < 4; i++) {
								try (Imsg reply = good.receive(WAIT)) {
									assertThat(reply).as("round %d, reply %d of 4 (non-readers cut off so far: %d)", r,
											i + 1, cutOff.get()).isNotNull();
									assertThat(reply.length()).isEqualTo(SIZE);
								}
							}
						}
					}
				}
				finally {
					stop.set(true);
					for (Thread t : attackers) {
						t.join(WAIT.toMillis());
						assertThat(t.isAlive()).as(t.getName() + " ended").isFalse();
					}
				}
				assertThat(cutOff.get()).as("non-readers cut off by the budget").isPositive();
				await().atMost(WAIT).until(() -> budget.usedBytes() == 0);
			});
	}

	/** Sends pings and never reads the replies; connects again when cut off, until told to stop. */
	private static void attack(Path sock, AtomicBoolean stop, AtomicInteger cutOff) {
		ByteBuffer ping = ByteBuffer.allocate(SIZE);
		while (!stop.get()) {
			ImsgChannel c;
			try {
				c = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1));
			}
			catch (ImsgException ex) {
				continue; // the endpoint's backlog is full for a moment
			}
			try {
				while (!stop.get() && c.isOpen()) {
					try {
						if (!c.tryCompose(1, 0, 0, null, ping.duplicate())) {
							// our own write queue is full (the server stopped reading us): wait to be cut off
							c.closeFuture().handle((v, e) -> null).get(100, TimeUnit.MILLISECONDS);
						}
					}
					catch (ImsgException | ExecutionException ex) {
						break;
					}
					catch (TimeoutException ex) {
						// still open: look at the stop flag, then try again
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						break;
					}
				}
				if (!stop.get()) {
					cutOff.incrementAndGet();
				}
			}
			finally {
				c.abort();
			}
		}
	}
}
