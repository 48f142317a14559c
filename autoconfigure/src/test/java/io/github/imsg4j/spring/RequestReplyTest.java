package io.github.imsg4j.spring;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Request/reply through {@link ImsgTemplate} to an {@code imsg.clients} daemon: a reply of any of several types
 * (the daemon says DENIED, not OPENED), a descriptor sent by client name, and a silent daemon met with
 * {@link ImsgReplyTimeoutException}. The daemon is a real core server; descriptor counts are checked.
 */
@ExtendWith(OpenFds.class)
class RequestReplyTest {

	static final int OPEN = 1;

	static final int OPENED = 2;

	static final int DENIED = 3;

	static final int SHOW_FD = 4;

	static final int SILENT = 5;

	@TempDir
	Path dir;

	/** OPEN of "secret" is DENIED, others OPENED; SHOW_FD answers with what the descriptor names; SILENT never. */
	private ImsgServer daemon(Path sock) {
		return ImsgServer.listen(sock, ChannelOptions.defaults().withFdPassing(true), (peer) -> (ch, m) -> {
			try (m) {
				if (m.type() == OPEN) {
					String what = new String(m.bytes(), StandardCharsets.US_ASCII);
					ch.send(what.startsWith("secret") ? DENIED : OPENED, m.bytes());
				}
				else if (m.type() == SHOW_FD && m.hasFd()) {
					java.io.FileDescriptor fd = m.takeFd();
					ch.send(SHOW_FD, Fds.target(fd).map(Path::toString).orElse("?").getBytes(StandardCharsets.US_ASCII));
					Fds.closeQuietly(fd);
				}
			}
		});
	}

	@Test
	void aReplyOfAnyAwaitedTypeADescriptorByClientNameAndATimeoutOfItsOwn() {
		Path sock = this.dir.resolve("daemon.sock");
		try (ImsgServer server = daemon(sock)) {
			new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
				.withPropertyValues("imsg.clients.d.path=" + sock)
				.run((context) -> {
					ImsgTemplate template = context.getBean(ImsgTemplate.class);
					try (Imsg reply = template.sendAndReceive("d", OPEN, "secret".getBytes(StandardCharsets.US_ASCII),
							null, ImsgSession.replyTypes(OPENED, DENIED), Duration.ofSeconds(10))) {
						assertThat(reply.type()).as("DENIED answers too, at once").isEqualTo(DENIED);
					}
					try (Imsg reply = template.sendAndReceive("d", OPEN, "public".getBytes(StandardCharsets.US_ASCII),
							null, ImsgSession.replyTypes(OPENED, DENIED), Duration.ofSeconds(10))) {
						assertThat(reply.type()).isEqualTo(OPENED);
					}
					try (Imsg reply = template.sendAndReceive("d", SHOW_FD, null,
							OutboundFd.openReadOnly(Path.of("/dev/null")), (m) -> m.type() == SHOW_FD,
							Duration.ofSeconds(10))) {
						assertThat(new String(reply.bytes(), StandardCharsets.US_ASCII)).isEqualTo("/dev/null");
					}
					assertThatThrownBy(() -> template.sendAndReceive("d", SILENT, null, null,
							ImsgSession.replyTypes(OPENED), Duration.ofMillis(200)))
						.isInstanceOf(ImsgReplyTimeoutException.class)
						.hasMessageContaining("no reply to type 5")
						.hasMessageContaining("within PT0.2S");
				});
		}
	}
}
