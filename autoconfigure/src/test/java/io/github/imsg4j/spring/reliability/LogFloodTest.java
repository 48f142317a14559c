package io.github.imsg4j.spring.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgIoException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgPeerAuthorizer;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import io.github.imsg4j.spring.CapturedLogs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Peers that try to flood the log: hundreds of refused connections, and thousands of requests whose replies
 * cannot be sent because the peer hung up. Each kind stays at a handful of lines, with no stack trace (before:
 * a WARN per refusal, 5,000 lines in 0.7 s; and a WARN with a stack trace per failed reply, 30 MB of log from
 * 320 KB sent).
 */
@ExtendWith({ CapturedLogs.class, OpenFds.class })
class LogFloodTest {

	@TempDir
	Path dir;

	private static long count(CapturedLogs output, String text) {
		return output.getAll().lines().filter((l) -> l.contains(text)).count();
	}

	@Test
	void refusedConnectionsAreLoggedAFewTimesAndCounted(CapturedLogs output) {
		Path sock = this.dir.resolve("refuse.sock");
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(ImsgPeerAuthorizer.class, () -> (endpoint, peer) -> ImsgPeerAuthorizer.Decision.DENY)
			.withPropertyValues("imsg.endpoints.e.path=" + sock)
			.run((context) -> {
				int attempts = 300;
				for (int i = 0; i < attempts; i++) {
					try (ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
						c.closeFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
					}
					catch (ImsgIoException | java.util.concurrent.ExecutionException ex) {
						// refused
					}
				}
				ImsgEndpointRegistry registry = context.getBean(ImsgEndpointRegistry.class);
				await().atMost(Duration.ofSeconds(10)).until(() -> registry.endpoint("e").refusedCount() == attempts);
				assertThat(count(output, "refused peer")).isBetween(1L, 10L);
			});
	}

	@Test
	void repliesToAPeerThatHungUpAreLoggedAFewTimesWithoutStackTraces(CapturedLogs output) {
		Path sock = this.dir.resolve("hangup.sock");
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(SlowReaderTest.Big.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.handlers.threads=1")
			.run((context) -> {
				try (ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
					try {
						for (int i = 0; i < 5000; i++) {
							c.compose(1, 0, 0, null, ByteBuffer.allocate(0));
						}
						c.flush(Duration.ofSeconds(10));
					}
					catch (io.github.imsg4j.core.ImsgClosedException ex) {
						// the server cut this peer off first (it does not read): as much a hang-up as the abort below
					}
					c.abort(); // gone, with thousands of replies still to come
				}
				ImsgEndpointRegistry registry = context.getBean(ImsgEndpointRegistry.class);
				await().atMost(Duration.ofSeconds(10)).until(() -> registry.endpoint("e").sessions().isEmpty());
				assertThat(output.getAll().length()).as("log bytes").isLessThan(20_000);
				assertThat(count(output, "\tat io.github.imsg4j")).as("stack trace lines").isZero();
			});
	}
}
