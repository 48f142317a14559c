package io.github.imsg4j.spring.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgBudget;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgClosedException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Many peers that each stay within their own limits but together would exhaust memory: ten peers that never
 * read, each asking for far more than {@code imsg.budget.memory} in replies, with a {@code write-queue-limit}
 * that alone would let each hold 1 MB. The shared budget holds: what is queued never goes over it, the peers
 * that go over it are closed (not the application), a well-behaved client is served throughout, and the
 * budget is all given back when they are gone. Before, only the per-connection limits applied and 30 such
 * peers ran a 256 MB heap out of memory.
 */
@ExtendWith(OpenFds.class)
class MemoryBudgetTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	@Test
	void peersThatTogetherGoOverTheBudgetAreClosedAndOthersServed() {
		Path sock = this.dir.resolve("budget.sock");
		long budgetBytes = 256 * 1024;
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(SlowReaderTest.Big.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.endpoints.e.write-queue-limit=1MB",
					"imsg.budget.memory=" + budgetBytes + "B")
			.run((context) -> {
				ImsgBudget budget = context.getBean(ImsgBudget.class);
				assertThat(budget.maxBytes()).isEqualTo(budgetBytes);
				List<ImsgChannel> hogs = new ArrayList<>();
				long most = 0;
				try {
					for (int p = 0; p < 10; p++) {
						ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1));
						hogs.add(c);
						try {
							for (int i = 0; i < 60; i++) {
								c.tryCompose(1, 0, 0, null, ByteBuffer.allocate(0));
								most = Math.max(most, budget.usedBytes());
							}
						}
						catch (ImsgClosedException ex) {
							// already cut off by the budget: the outcome this test is about
						}
					}
					serve(sock);
					while (hogs.stream().anyMatch(ImsgChannel::isOpen)) {
						most = Math.max(most, budget.usedBytes());
						Thread.onSpinWait();
					}
					serve(sock);
				}
				finally {
					hogs.forEach(ImsgChannel::abort);
				}
				// the budget's bound: its maximum, plus one message per connection (11) taken into an empty queue when
				// no connection could give bytes back at once (ImsgBudget)
				assertThat(most).as("bytes reserved at most").isLessThanOrEqualTo(budgetBytes + 11 * 16016L);
				await().atMost(WAIT).until(() -> budget.usedBytes() == 0);
			});
	}

	private static void serve(Path sock) {
		try (ImsgChannel good = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
			good.compose(1, 0, 0, null, ByteBuffer.allocate(0));
			try (Imsg reply = good.receive(WAIT)) {
				assertThat(reply).as("a well-behaved client is served").isNotNull();
				assertThat(reply.length()).isEqualTo(16000);
			}
		}
	}
}
