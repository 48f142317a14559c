package io.github.imsg4j.spring;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.stereotype.Component;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a user sees when a handler fails: a handler whose own {@link ImsgTemplate} call failed is reported as
 * that, not as the caller's connection breaking; the guide's error handler answers the caller with an error
 * reply instead; a {@code FileDescriptor} parameter on an endpoint without {@code fd-passing} is warned about at
 * start-up, naming the property.
 */
@ExtendWith({ CapturedLogs.class, OpenFds.class })
class HandlerErrorsTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** Type 20 asks a daemon that is down, through the template, as the demo's worker asks its parent. */
	static class AsksADaemonThatIsDown {

		private final ImsgTemplate template;

		AsksADaemonThatIsDown(ImsgTemplate template) {
			this.template = template;
		}

		@ImsgHandler(endpoints = "e", type = 20, replyType = 21)
		String ask(String what) {
			try (Imsg answer = this.template.sendAndReceive("opener", 1, what, 2, Duration.ofSeconds(1))) {
				return "answered";
			}
		}

		@ImsgHandler(endpoints = "e", type = 30)
		void takesADescriptor(@Nullable FileDescriptor fd) {
		}
	}

	/** The guide's error handler ("Handler errors"), as written there. */
	@Component
	static class ErrorReplies implements ImsgErrorHandler {

		static final int ERROR = 99;

		@Override
		public Action handleError(ImsgSession session, Imsg request, Throwable error) {
			if (error instanceof ImsgReplyException) {
				return Action.CLOSE; // the reply itself could not go: neither would an error reply
			}
			// the same peer id, so that the caller matches it to its request; a NUL-terminated reason
			session.send(ERROR, request.peerId(), "error: " + error.getMessage(), null);
			return Action.CONTINUE;
		}
	}

	private ApplicationContextRunner runner(Path sock) {
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(AsksADaemonThatIsDown.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock,
					"imsg.clients.opener.path=" + this.dir.resolve("nobody-listens.sock"),
					"imsg.clients.opener.connect-timeout=200ms", "imsg.clients.opener.reconnect.enabled=true");
	}

	private static void send(ImsgChannel ch, int type, int peerid, String text) {
		ch.compose(type, peerid, 0, null, ByteBuffer.wrap((text + "\0").getBytes(StandardCharsets.UTF_8)));
	}

	@Test
	void aHandlerWhoseTemplateCallFailedIsReportedAsThatAndTheCallerIsToldSo(CapturedLogs output) {
		Path sock = this.dir.resolve("e.sock");
		runner(sock).run((context) -> {
			assertThat(context).hasNotFailed();
			try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
				send(ch, 20, 7, "status");
				await().atMost(WAIT).until(() -> output.getAll().contains("Handler for Imsg[type=20"));
				assertThat(output.getAll()).contains("failed: imsg client 'opener' is not connected to ")
					.contains("; the caller got no reply")
					.doesNotContain("Reply to Imsg[type=20");
			}
		});
	}

	@Test
	void anErrorHandlerCanAnswerWithAnErrorReply() {
		Path sock = this.dir.resolve("e.sock");
		runner(sock).withBean(ErrorReplies.class).run((context) -> {
			try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
				send(ch, 20, 7, "status");
				try (Imsg reply = ch.receive(WAIT)) {
					assertThat(reply).as("an error reply instead of silence").isNotNull();
					assertThat(reply.type()).isEqualTo(ErrorReplies.ERROR);
					assertThat(reply.peerId()).isEqualTo(7);
					assertThat(ImsgCodecs.decodeCString(reply.reader())).startsWith("error: imsg client 'opener' is not "
							+ "connected to ");
				}
			}
		});
	}

	@Test
	void aDescriptorParameterOnAnEndpointWithoutFdPassingIsWarnedAboutAtStartUp(CapturedLogs output) {
		runner(this.dir.resolve("e.sock")).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output.getAll()).contains("takesADescriptor")
				.contains("takes a FileDescriptor, but imsg.endpoints.e.fd-passing is false: descriptors sent on 'e' "
						+ "are closed on arrival and it always gets null (set imsg.endpoints.e.fd-passing=true)");
		});
	}
}
