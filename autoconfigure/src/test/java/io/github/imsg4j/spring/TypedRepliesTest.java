package io.github.imsg4j.spring;

import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgPayloadException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The guide's "Reading replies": a reply decoded as a struct, a C string or bytes by
 * {@link ImsgTemplate#sendAndReceive(String, int, Object, int, Class, Duration)}, or, at hand, by
 * {@link StructCodec} and {@link ImsgCodecs}; a payload that does not fit is an error, not a guess.
 */
@ExtendWith(OpenFds.class)
class TypedRepliesTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** The demo's STATS reply. */
	@ImsgStruct
	public record Stats(long opened, long denied, long pings) {
	}

	/** A daemon: STAT (4) answers STATS (5); 1 greets; 6 answers 7 with three bytes. */
	static class Daemon {

		@ImsgHandler(endpoints = "daemon", type = 4, replyType = 5)
		Stats stats() {
			return new Stats(1, 1, 7);
		}

		@ImsgHandler(endpoints = "daemon", type = 1, replyType = 2)
		String hello(String name) {
			return "hello " + name;
		}

		@ImsgHandler(endpoints = "daemon", type = 6, replyType = 7)
		byte[] three() {
			return new byte[] { 1, 2, 3 };
		}
	}

	@Test
	void repliesAreReadAsWhatTheyAre() {
		Path sock = this.dir.resolve("daemon.sock");
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Daemon.class)
			.withPropertyValues("imsg.endpoints.daemon.path=" + sock, "imsg.clients.opener.path=" + sock)
			.run((context) -> {
				ImsgTemplate template = context.getBean(ImsgTemplate.class);
				assertThat(template.sendAndReceive("opener", 4, null, 5, Stats.class, WAIT)).isEqualTo(new Stats(1, 1, 7));
				assertThat(template.sendAndReceive("opener", 1, "imsg", 2, String.class, WAIT)).isEqualTo("hello imsg");
				assertThat(template.sendAndReceive("opener", 6, null, 7, byte[].class, WAIT)).containsExactly(1, 2, 3);
				try (Imsg reply = template.sendAndReceive("opener", 4, null, 5, WAIT)) {
					assertThat(StructCodec.of(Stats.class).decode(reply.reader())).isEqualTo(new Stats(1, 1, 7));
				}
				try (Imsg reply = template.sendAndReceive("opener", 1, "again", 2, WAIT)) {
					assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("hello again");
				}
				assertThatThrownBy(() -> template.sendAndReceive("opener", 6, null, 7, Stats.class, WAIT))
					.isInstanceOf(ImsgPayloadException.class);
			});
	}
}
