package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code imsg.handlers.inline=true}: handlers run on the event-loop thread, in order, and replies arrive. */
class InlineHandlersTest {

	@TempDir
	Path dir;

	/** Replies with its sequence number and the name of the thread it ran on. */
	static class WhereAmI {

		@ImsgHandler(type = 1, replyType = 2)
		byte[] where(ByteBuffer payload) {
			byte[] thread = Thread.currentThread().getName().getBytes(StandardCharsets.UTF_8);
			return ByteBuffer.allocate(4 + thread.length)
				.order(ByteOrder.nativeOrder())
				.putInt(payload.order(ByteOrder.nativeOrder()).getInt(0))
				.put(thread)
				.array();
		}
	}

	/** The thread names the handler reported for 100 messages sent back to back, checking their order. */
	String threadOfHandlers(boolean inline) {
		Path sock = this.dir.resolve(inline + ".sock");
		String[] thread = new String[1];
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(WhereAmI.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.handlers.inline=" + inline)
			.run((context) -> {
				assertThat(context.getBean(ImsgHandlerExecutor.class).isInline()).isEqualTo(inline);
				try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
					for (int i = 0; i < 100; i++) {
						ch.compose(1, 0, 0, null, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, i));
					}
					for (int i = 0; i < 100; i++) {
						try (Imsg reply = ch.receive(Duration.ofSeconds(10))) {
							assertThat(reply).as("reply %d", i).isNotNull();
							ByteBuffer p = reply.payload().order(ByteOrder.nativeOrder());
							assertThat(p.getInt(0)).as("replies in order").isEqualTo(i);
							byte[] name = new byte[p.remaining() - 4];
							p.get(4, name);
							thread[0] = new String(name, StandardCharsets.UTF_8);
						}
					}
				}
			});
		return thread[0];
	}

	@Test
	void inlineHandlersRunOnTheEventLoopThread() {
		assertThat(threadOfHandlers(true)).startsWith("imsg-loop-");
		assertThat(threadOfHandlers(false)).startsWith("imsg-handler-");
	}
}
