package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** With {@code spring.threads.virtual.enabled=true} (Java 21+), handlers run on virtual threads. */
@EnabledForJreRange(min = JRE.JAVA_21, disabledReason = "virtual threads need Java 21; CI runs this on Temurin 25")
class VirtualThreadsTest {

	@TempDir
	Path dir;

	/** Replies 1 when its handler ran on a virtual thread. */
	static class WhereAmI {

		@ImsgHandler(type = 1, replyType = 2)
		byte[] where() throws ReflectiveOperationException {
			boolean virtual = (Boolean) Thread.class.getMethod("isVirtual").invoke(Thread.currentThread());
			return new byte[] { (byte) (virtual ? 1 : 0) };
		}
	}

	byte[] ask(boolean virtualEnabled) {
		Path sock = this.dir.resolve(virtualEnabled + ".sock");
		byte[][] answer = new byte[1][];
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(WhereAmI.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "spring.threads.virtual.enabled=" + virtualEnabled)
			.run((context) -> {
				try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
					ch.compose(1, 0, 0, null, ByteBuffer.allocate(0));
					try (Imsg reply = ch.receive(Duration.ofSeconds(10))) {
						answer[0] = reply.bytes();
					}
				}
			});
		return answer[0];
	}

	@Test
	void handlersRunOnVirtualThreadsWhenEnabled() {
		assertThat(ask(true)).containsExactly(1);
		assertThat(ask(false)).containsExactly(0);
	}
}
