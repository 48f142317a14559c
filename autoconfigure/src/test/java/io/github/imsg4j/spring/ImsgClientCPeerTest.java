package io.github.imsg4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An outbound client ({@code imsg.clients.<name>}) talking to OpenBSD's C imsg (the bench peer from
 * {@code ../shared/cpeer}) in both wire generations: request/reply through the template, descriptors sent and
 * counted by the C side, a struct reply decoded, and reconnecting after the daemon restarts.
 */
class ImsgClientCPeerTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	/** The bench protocol's DONE: {@code u64 msgs, u64 bytes, u64 fds} in host order. */
	@ImsgStruct
	record Done(long msgs, long bytes, long fds) {
	}

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void requestsRepliesDescriptorsAndReconnect(WireFormat wire) throws Exception {
		Path sock = this.dir.resolve("c.sock");
		Process server = CPeer.server(wire, sock);
		try {
			new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
				.withPropertyValues("imsg.clients.cpeer.path=" + sock, "imsg.clients.cpeer.wire=" + wire,
						"imsg.clients.cpeer.reconnect.initial-backoff=20ms", "imsg.clients.cpeer.reconnect.max-backoff=200ms")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					ImsgTemplate template = context.getBean(ImsgTemplate.class);
					ImsgCodecs codecs = context.getBean(ImsgCodecs.class);
					byte[] payload = "ping from java".getBytes();
					try (Imsg pong = template.sendAndReceive("cpeer", 2, payload, 3, WAIT)) {
						assertThat(pong.bytes()).isEqualTo(payload);
					}

					int before = OpenFds.count();
					for (int i = 0; i < 100; i++) {
						template.send("cpeer", 1, 0, new byte[64], OutboundFd.openReadOnly(Path.of("/dev/null")));
					}
					try (Imsg done = template.sendAndReceive("cpeer", 4, null, 5, WAIT)) {
						assertThat(codecs.decode(Done.class, done.reader())).isEqualTo(new Done(100, 6400, 100));
					}
					assertThat(OpenFds.awaitCount(before)).as("descriptors sent are closed").isEqualTo(before);

					// The daemon goes away and comes back: the client reconnects on its own.
					server.destroy();
					assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
					ClientEndpoint client = context.getBean(ImsgEndpointRegistry.class).client("cpeer");
					await().atMost(WAIT).until(() -> !client.isConnected());
					Process again = CPeer.server(wire, sock);
					try (Imsg pong = template.sendAndReceive("cpeer", 2, payload, 3, WAIT)) {
						assertThat(pong.bytes()).isEqualTo(payload);
					}
					finally {
						again.destroy();
						again.waitFor(10, TimeUnit.SECONDS);
					}
				});
		}
		finally {
			server.destroyForcibly();
		}
	}
}
