package io.github.imsg4j.quickstart;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** A new project with only the starter, an application.yml and one handler serves a real imsg client. */
@SpringBootTest
class QuickStartApplicationTest {

	static final Path SOCKET;

	static {
		try {
			SOCKET = Files.createTempDirectory("imsg4j-quickstart").resolve("control.sock");
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	@DynamicPropertySource
	static void socket(DynamicPropertyRegistry registry) {
		registry.add("imsg.endpoints.control.path", SOCKET::toString);
	}

	@Value("${imsg.endpoints.control.wire}")
	String wire;

	@Test
	void theQuickStartAnswers() {
		assertThat(this.wire).as("the YAML was read").isEqualTo("current");
		try (ImsgChannel ch = ImsgChannel.connect(SOCKET, ChannelOptions.defaults())) {
			ch.compose(1, 0, 0, null, ByteBuffer.wrap("imsg\0".getBytes(StandardCharsets.UTF_8)));
			try (Imsg reply = ch.receive(Duration.ofSeconds(10))) {
				assertThat(reply.type()).isEqualTo(2);
				assertThat(reply.reader().getCString(reply.length()))
					.isEqualTo("hello imsg, you are uid " + ch.peerCredentials().uid());
			}
		}
	}
}
