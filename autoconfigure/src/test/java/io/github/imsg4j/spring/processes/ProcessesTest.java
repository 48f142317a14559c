package io.github.imsg4j.spring.processes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.TestJvm;
import io.github.imsg4j.spring.ClientEndpoint;
import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgConnector;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgTemplate;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code imsg.processes}: a parent application starts a helper, a second JVM on the starter that talks back over
 * the socket it inherited ({@code imsg.clients.parent.inherited-fd=3}, or the rendezvous socket on Java 17);
 * the parent reaches it through {@link ImsgTemplate} by name; a helper killed with SIGKILL is restarted; the
 * application's stop sends SIGTERM and reaps it. And an endpoint that takes its socket from systemd.
 */
@ExtendWith(OpenFds.class)
class ProcessesTest {

	private static final Duration WAIT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	private static String text(Imsg m) {
		return ImsgCodecs.decodeCString(m.reader());
	}

	private static long pidOf(ImsgEndpointRegistry registry) {
		ClientEndpoint helper = registry.client("helper");
		ImsgChildProcess child = ((ImsgConnector.ChildConnector) helper.connector()).current();
		assertThat(child).isNotNull();
		return child.pid();
	}

	@Test
	void aHelperProcessIsStartedRestartedAndStoppedWithTheApplication() throws Exception {
		List<String> command = TestJvm.command(ChildApplication.class);
		List<String> props = new java.util.ArrayList<>(List.of("imsg.processes.helper.command=" + command.get(0),
				"imsg.processes.helper.restart.initial-backoff=100ms", "imsg.processes.helper.stop-grace-period=10s"));
		for (int i = 1; i < command.size(); i++) {
			props.add("imsg.processes.helper.arguments[" + (i - 1) + "]=" + command.get(i));
		}
		long[] pids = new long[2];
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withPropertyValues(props.toArray(String[]::new))
			.run((context) -> {
				ImsgTemplate template = context.getBean(ImsgTemplate.class);
				ImsgEndpointRegistry registry = context.getBean(ImsgEndpointRegistry.class);
				pids[0] = pidOf(registry);
				try (Imsg reply = template.sendAndReceive("helper", 1, "hello", 2, WAIT)) {
					assertThat(text(reply)).isEqualTo("child " + pids[0] + " got hello");
				}
				// Killed: its loss is seen, it is reaped and started again, and answers as a new process.
				ProcessHandle.of(pids[0]).orElseThrow().destroyForcibly();
				await().atMost(WAIT).until(() -> !Files.exists(Path.of("/proc/" + pids[0])));
				await().atMost(WAIT).until(() -> registry.client("helper").isConnected() && pidOf(registry) != pids[0]);
				pids[1] = pidOf(registry);
				try (Imsg reply = template.sendAndReceive("helper", 1, "again", 2, WAIT)) {
					assertThat(text(reply)).isEqualTo("child " + pids[1] + " got again");
				}
			});
		// The application stopped: SIGTERM, the helper exits (Spring's shutdown hook), and it is reaped.
		assertThat(Path.of("/proc/" + pids[1])).as("the helper reaped when the application stopped").doesNotExist();
	}

	@Test
	void aHelperRunsAsAnotherUserThroughSetpriv() throws Exception {
		Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
				"running a helper as another uid needs root (CI runs as root)");
		Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) not installed");
		Files.setPosixFilePermissions(this.dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
		// nobody cannot read this JVM's class path (under root's home): a copy it can
		List<String> java = TestJvm.readableCommand(Files.createDirectory(this.dir.resolve("cp")), ChildApplication.class);
		List<String> args = new java.util.ArrayList<>(List.of("--reuid=65534", "--regid=65534", "--clear-groups"));
		args.addAll(java);
		List<String> props = new java.util.ArrayList<>(List.of("imsg.processes.helper.command=/usr/bin/setpriv"));
		for (int i = 0; i < args.size(); i++) {
			props.add("imsg.processes.helper.arguments[" + i + "]=" + args.get(i));
		}
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withPropertyValues(props.toArray(String[]::new))
			.run((context) -> {
				long pid = pidOf(context.getBean(ImsgEndpointRegistry.class));
				try (Imsg reply = context.getBean(ImsgTemplate.class).sendAndReceive("helper", 1, "hello", 2, WAIT)) {
					assertThat(text(reply)).isEqualTo("child " + pid + " got hello");
				}
				assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/status")))
					.anyMatch((l) -> l.matches("Uid:\\s+65534\\s.*"));
			});
	}

	@Test
	void aSocketActivatedEndpointServesClients() throws Exception {
		Path activate = Path.of("/usr/bin/systemd-socket-activate");
		Assumptions.assumeTrue(Files.isExecutable(activate), activate + " not installed (Debian package systemd)");
		Path sock = this.dir.resolve("control.sock");
		List<String> cmd = new java.util.ArrayList<>(List.of(activate.toString(), "-l", sock.toString(),
				"--fdname=control"));
		cmd.addAll(TestJvm.command(ActivatedApplication.class));
		Process daemon = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(this.dir.resolve("out").toFile())
			.start();
		try {
			// systemd-socket-activate binds (the file appears) before it listens: a connect in between is refused
			ImsgChannel connected = await().atMost(WAIT)
				.ignoreExceptionsMatching((ex) -> ex.getCause() instanceof java.net.ConnectException)
				.until(() -> ImsgChannel.connect(sock, ChannelOptions.defaults()), java.util.Objects::nonNull);
			try (ImsgChannel c = connected) {
				c.send(1, "ping\0".getBytes(StandardCharsets.US_ASCII));
				try (Imsg reply = c.receive(WAIT)) {
					assertThat(reply).as(Files.readString(this.dir.resolve("out"))).isNotNull();
					assertThat(text(reply)).isEqualTo("activated ping");
				}
			}
			assertThat(Files.readString(this.dir.resolve("out"))).contains("(socket-activated)");
		}
		finally {
			daemon.destroy();
			daemon.waitFor();
		}
		assertThat(sock).as("systemd's socket is not ours to remove").exists();
	}
}
