package io.github.imsg4j.demo;

import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.TestJvm;
import io.github.imsg4j.spring.ImsgCodecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo daemon end to end, as two processes: this test runs the privileged parent, which starts the
 * sandboxed worker (a second JVM) over a socket pair; a client talks to the worker's socket, opens an allowed
 * file and reads it through the descriptor that came from the parent through the worker, and makes requests
 * that must be denied (outside the roots, {@code ..} and symbolic-link escapes, directories, relative paths).
 * The parent's descriptor count is back where it started.
 */
@SpringBootTest(classes = DemoApplication.class)
class DemoApplicationTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	static final Path DIR;

	static final Path ALLOWED;

	static final Path SECRET;

	static {
		try {
			DIR = Files.createTempDirectory("imsg4j-demo");
			ALLOWED = Files.createDirectory(DIR.resolve("allowed"));
			Files.writeString(ALLOWED.resolve("hello.txt"), "hello from the demo");
			Files.createDirectory(ALLOWED.resolve("sub"));
			SECRET = Files.writeString(DIR.resolve("secret.txt"), "not for peers");
			Files.createSymbolicLink(ALLOWED.resolve("link"), SECRET);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws Exception {
		registry.add("opener.allowed-directories", ALLOWED::toString);
		// The worker: this test's class path, and the settings ./application.yml would give it.
		List<String> worker = TestJvm.command(DemoApplication.class, "--spring.profiles.active=worker",
				"--opener.allowed-directories=" + ALLOWED, "--imsg.clients.parent.inherited-fd=3",
				"--imsg.clients.parent.fd-passing=true", "--imsg.endpoints.opener.path=" + DIR.resolve("opener.sock"),
				"--imsg.pledge.forbid-exec=true");
		registry.add("imsg.processes.worker.command", () -> worker.get(0));
		for (int i = 1; i < worker.size(); i++) {
			String arg = worker.get(i);
			registry.add("imsg.processes.worker.arguments[" + (i - 1) + "]", () -> arg);
		}
		// as ./application.yml: the parent accepts no descriptors from its worker, and losing it stops the parent
		registry.add("imsg.processes.worker.on-exit", () -> "exit");
	}

	/** The worker listens once its JVM has started. */
	@org.junit.jupiter.api.BeforeEach
	void awaitWorker() {
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(DIR.resolve("opener.sock")));
	}

	@AfterAll
	static void clean() throws Exception {
		for (String f : new String[] { "allowed/link", "allowed/hello.txt", "allowed/sub", "allowed", "secret.txt" }) {
			Files.deleteIfExists(DIR.resolve(f));
		}
	}

	@Autowired
	ImsgCodecs codecs;

	@Autowired
	ParentHandlers handlers;

	@Test
	void aFifoSwappedInAfterTheCheckStallsNobody() throws Exception {
		Path race = Files.writeString(ALLOWED.resolve("race.txt"), "a regular file when checked");
		// As an attacker with write access to an allowed directory would, between the check and the open.
		this.handlers.policy().afterCheck = (p) -> {
			try {
				Files.delete(p);
				assertThat(new ProcessBuilder("mkfifo", p.toString()).start().waitFor()).isZero();
			}
			catch (Exception ex) {
				throw new AssertionError(ex);
			}
		};
		int before = OpenFds.count();
		try (ImsgChannel ch = ImsgChannel.connect(DIR.resolve("opener.sock"), ChannelOptions.defaults().withFdPassing(true));
				ImsgChannel other = ImsgChannel.connect(DIR.resolve("opener.sock"), ChannelOptions.defaults())) {
			ch.compose(OpenerProtocol.OPEN, 0, 0, null, ByteBuffer.wrap((race + "\0").getBytes(StandardCharsets.UTF_8)));
			// While that open is blocked on the FIFO, another peer is served.
			try (Imsg pong = request(other, OpenerProtocol.PING, "still here")) {
				assertThat(pong.type()).isEqualTo(OpenerProtocol.PONG);
			}
			// The watchdog releases the blocked open; the descriptor it got is a FIFO, and denied.
			try (Imsg reply = ch.receive(WAIT)) {
				assertThat(reply).isNotNull();
				assertThat(reply.type()).isEqualTo(OpenerProtocol.DENIED);
				assertThat(reply.hasFd()).isFalse();
				assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("not a regular file");
			}
		}
		finally {
			this.handlers.policy().afterCheck = (p) -> {
			};
			Files.deleteIfExists(race);
		}
		assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
	}

	static Imsg request(ImsgChannel ch, int type, String text) {
		ch.compose(type, 0, 0, null, ByteBuffer.wrap((text + "\0").getBytes(StandardCharsets.UTF_8)));
		Imsg reply = ch.receive(WAIT);
		assertThat(reply).isNotNull();
		return reply;
	}

	static String denial(ImsgChannel ch, String path) {
		try (Imsg reply = request(ch, OpenerProtocol.OPEN, path)) {
			assertThat(reply.type()).as("reply to OPEN %s", path).isEqualTo(OpenerProtocol.DENIED);
			assertThat(reply.hasFd()).isFalse();
			return ImsgCodecs.decodeCString(reply.reader());
		}
	}

	@Test
	void opensAllowedFilesDeniesTheRestAndLeaksNothing() throws Exception {
		int before = OpenFds.count();
		try (ImsgChannel ch = ImsgChannel.connect(DIR.resolve("opener.sock"),
				ChannelOptions.defaults().withFdPassing(true))) {
			try (Imsg reply = request(ch, OpenerProtocol.OPEN, ALLOWED.resolve("hello.txt").toString())) {
				assertThat(reply.type()).isEqualTo(OpenerProtocol.OPENED);
				assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo(ALLOWED.resolve("hello.txt").toRealPath().toString());
				try (FileInputStream in = new FileInputStream(reply.takeFd())) {
					assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello from the demo");
				}
			}
			// Outside the allowed directories, existing or not, one answer: nothing about those files leaks.
			String outside = "no such file in the allowed directories";
			assertThat(denial(ch, "/etc/passwd")).isEqualTo(outside);
			assertThat(denial(ch, "/root/no-such-file")).isEqualTo(outside);
			assertThat(denial(ch, ALLOWED + "/../secret.txt")).isEqualTo(outside);
			assertThat(denial(ch, ALLOWED.resolve("link").toString())).isEqualTo(outside);
			assertThat(denial(ch, ALLOWED.resolve("sub").toString())).isEqualTo("not a regular file");
			assertThat(denial(ch, "hello.txt")).isEqualTo("not an absolute path");
			assertThat(denial(ch, ALLOWED.resolve("nope").toString())).isEqualTo(outside);

			ch.compose(OpenerProtocol.STAT, 0, 0, null);
			try (Imsg stats = ch.receive(WAIT)) {
				assertThat(stats.type()).isEqualTo(OpenerProtocol.STATS);
				assertThat(this.codecs.decode(OpenerProtocol.Stats.class, stats.reader()))
					.isEqualTo(new OpenerProtocol.Stats(1, 1, 7));
			}
			try (Imsg pong = request(ch, OpenerProtocol.PING, "are you there")) {
				assertThat(pong.type()).isEqualTo(OpenerProtocol.PONG);
				assertThat(ImsgCodecs.decodeCString(pong.reader())).isEqualTo("are you there");
			}
		}
		assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
	}
}
