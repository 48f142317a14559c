package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgQueueFullException;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A handler that forwards through {@link ImsgTemplate} to a daemon of the application's own choosing sends as any
 * caller does: it waits for room up to that client's {@code send-timeout} (0 here, so at once) and, when there is
 * none, fails with the queue-full error and leaves the connection to the daemon open. Whether a send may wait is
 * the send's own parameter (client or endpoint connection, reply or not), never which thread it runs on: before,
 * a send from a handler thread was refused as a reply is, and closed the client's connection.
 */
@ExtendWith(OpenFds.class)
class ForwardingHandlerTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** Type 40 forwards 16,000-byte messages to client "d" until its queue is full, and says how that ended. */
	static class Forwarder {

		private final ImsgTemplate template;

		private final ImsgEndpointRegistry registry;

		Forwarder(ImsgTemplate template, ImsgEndpointRegistry registry) {
			this.template = template;
			this.registry = registry;
		}

		@ImsgHandler(endpoints = "e", type = 40, replyType = 41)
		String forward() {
			byte[] chunk = new byte[16_000];
			for (int i = 0; i < 100_000; i++) {
				try {
					this.template.send("d", 1, chunk);
				}
				catch (ImsgQueueFullException ex) {
					return ex.getClass().getSimpleName() + " open=" + this.registry.client("d").session().isOpen();
				}
			}
			return "never full";
		}
	}

	@Test
	void aHandlersSendToADaemonThatDoesNotReadFailsAsAnyCallersAndLeavesItConnected() {
		Path daemonSock = this.dir.resolve("d.sock");
		Path sock = this.dir.resolve("e.sock");
		ImsgListener neverReads = new ImsgListener() {
			@Override
			public void onOpen(ImsgChannel channel) {
				channel.pauseReading();
			}

			@Override
			public void onMessage(ImsgChannel channel, Imsg message) {
				message.close();
			}
		};
		try (ImsgServer daemon = ImsgServer.listen(daemonSock, ChannelOptions.defaults(), (peer) -> neverReads)) {
			new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
				.withBean(Forwarder.class)
				.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.clients.d.path=" + daemonSock,
						"imsg.clients.d.send-timeout=0s", "imsg.clients.d.write-queue-limit=64KB")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
						ch.compose(40, 0, 0, null, ByteBuffer.allocate(0));
						try (Imsg reply = ch.receive(WAIT)) {
							assertThat(reply).isNotNull();
							assertThat(reply.type()).isEqualTo(41);
							assertThat(new String(reply.bytes(), StandardCharsets.UTF_8).replace("\0", ""))
								.isEqualTo("ImsgQueueFullException open=true");
						}
					}
				});
		}
	}
}
