package io.github.imsg4j.spring.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgSession;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A peer that asks for large replies and never reads them. The policy: a send waits up to the endpoint's
 * {@code send-timeout} for room in the {@code write-queue-limit}, then fails; the failure goes to the error
 * handler (logged) and the connection stays. The queue never holds more than its limit plus one message, so
 * memory stays bounded, and other connections are served throughout.
 */
@ExtendWith(OutputCaptureExtension.class)
class SlowReaderTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** Type 1 asks for a 16000-byte reply. */
	static class Big {

		@ImsgHandler(type = 1, replyType = 2)
		byte[] big() {
			return new byte[16000];
		}
	}

	@Test
	void aReaderThatNeverReadsMeetsTheSendTimeoutAndIsHeldToTheQueueLimit(CapturedOutput output) {
		Path sock = this.dir.resolve("slow.sock");
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Big.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.endpoints.e.write-queue-limit=64KB",
					"imsg.endpoints.e.send-timeout=100ms")
			.run((context) -> {
				try (ImsgChannel slow = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1))) {
					// The client stops reading after one message (capacity 1): replies pile up in the server.
					for (int i = 0; i < 100; i++) {
						slow.compose(1, 0, 0, null, ByteBuffer.allocate(0));
					}
					await().atMost(WAIT).until(() -> output.getAll().contains("write queue full"));
					ImsgSession session = context.getBean(ImsgEndpointRegistry.class).endpoint("e").sessions().stream()
						.filter((s) -> s.channel().queuedBytes() > 0).findFirst().orElseThrow();
					assertThat(session.channel().queuedBytes()).as("bytes held for the slow reader")
						.isLessThanOrEqualTo(64 * 1024 + 16016);
					assertThat(session.isOpen()).as("the connection stays; the failed reply was logged").isTrue();
					try (ImsgChannel other = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
						other.compose(1, 0, 0, null, ByteBuffer.allocate(0));
						try (Imsg reply = other.receive(WAIT)) {
							assertThat(reply.length()).as("another connection is served").isEqualTo(16000);
						}
					}
				}
			});
	}
}
