package io.github.imsg4j.spring.processes;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.TestJvm;
import io.github.imsg4j.spring.ImsgConnector;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgFatalHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Supervision of {@code imsg.processes} against a worker that is compromised ({@link StubbornWorker}: it ignores
 * the hang-up and {@code SIGTERM}): a child is stopped and reaped before another starts, whatever ended its
 * connection; none outlives the application; {@code on-exit: exit} and the start limit stop the application with
 * a report naming the process; a command that cannot be started fails the start-up. The fatal handler is
 * replaced by one that records, so that the test JVM goes on.
 */
@ExtendWith(OpenFds.class)
class SupervisionTest {

	private static final Duration WAIT = Duration.ofSeconds(60);

	private final List<String> reports = new CopyOnWriteArrayList<>();

	private ApplicationContextRunner runner(String mode, String... more) throws Exception {
		List<String> command = TestJvm.command(StubbornWorker.class, mode);
		List<String> props = new ArrayList<>(List.of("imsg.processes.worker.command=" + command.get(0),
				"imsg.processes.worker.restart.initial-backoff=50ms", "imsg.processes.worker.stop-grace-period=300ms"));
		for (int i = 1; i < command.size(); i++) {
			props.add("imsg.processes.worker.arguments[" + (i - 1) + "]=" + command.get(i));
		}
		props.addAll(List.of(more));
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(ImsgFatalHandler.class, () -> this.reports::add)
			.withPropertyValues(props.toArray(String[]::new));
	}

	private static @Nullable Long currentPid(ImsgEndpointRegistry registry) {
		ImsgChildProcess child = ((ImsgConnector.ChildConnector) registry.client("worker").connector()).current();
		return (child != null) ? child.pid() : null;
	}

	private static boolean alive(long pid) {
		return Files.exists(Path.of("/proc/" + pid));
	}

	@Test
	void aWorkerThatHangsUpAndIgnoresSigtermIsKilledAndReapedBeforeTheNextStarts(@TempDir Path dir) throws Exception {
		List<Long> seen = new ArrayList<>();
		Path control = dir.resolve("control.sock");
		runner("hang-up", "imsg.processes.worker.start-limit-burst=100", "imsg.endpoints.control.path=" + control)
			.withBean(io.github.imsg4j.spring.PingHandler.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ImsgEndpointRegistry registry = context.getBean(ImsgEndpointRegistry.class);
				// Each worker closes its socket at once and stays alive, ignoring SIGTERM: its parent must kill it
				// (after the grace) and reap it before starting the next. Watch three go by, while a well-behaved
				// client of the parent's own endpoint is served throughout.
				try (ImsgChannel client = ImsgChannel.connect(control, ChannelOptions.defaults())) {
					await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> {
						pingPong(client);
						Long pid = currentPid(registry);
						if (pid != null && (seen.isEmpty() || !seen.get(seen.size() - 1).equals(pid))) {
							seen.add(pid);
							for (Long earlier : seen.subList(0, seen.size() - 1)) {
								assertThat(alive(earlier)).as("worker %d reaped before worker %d started", earlier, pid)
									.isFalse();
							}
						}
						return seen.size() >= 3;
					});
				}
			});
		for (long pid : seen) {
			assertThat(alive(pid)).as("worker %d stopped and reaped with the application", pid).isFalse();
		}
		assertThat(this.reports).isEmpty();
	}

	private static void pingPong(ImsgChannel client) {
		client.compose(2, 0, 0, null, ByteBuffer.wrap(new byte[] { 7 }));
		try (Imsg pong = client.receive(WAIT)) {
			assertThat(pong).as("the parent's own client is served while its worker misbehaves").isNotNull();
			assertThat(pong.type()).isEqualTo(3);
		}
	}

	@Test
	void onExitExitStopsTheApplicationWithAReportNamingTheProcess() throws Exception {
		long[] pid = new long[1];
		runner("exit", "imsg.processes.worker.on-exit=exit").run((context) -> {
			assertThat(context).hasNotFailed();
			pid[0] = currentPid(context.getBean(ImsgEndpointRegistry.class));
			await().atMost(WAIT).until(() -> !this.reports.isEmpty());
			assertThat(this.reports).singleElement()
				.asString()
				.contains("imsg process 'worker'", "exited with status 3", "on-exit policy is exit")
				.contains("; its last output:\n    stubborn worker: cannot start: imsg.endpoints.opener.path is taken");
			assertThat(alive(pid[0])).isFalse();
			assertThat(context.getBean(ImsgEndpointRegistry.class).client("worker").isReconnecting()).isFalse();
		});
	}

	@Test
	void aWorkerThatKeepsDyingStopsTheApplicationAtItsStartLimit() throws Exception {
		runner("exit", "imsg.processes.worker.start-limit-burst=3", "imsg.processes.worker.start-limit-interval=10m")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				await().atMost(WAIT).until(() -> !this.reports.isEmpty());
				assertThat(this.reports).singleElement()
					.asString()
					.contains("imsg process 'worker' was started 3 times within PT10M", "exited with status 3");
			});
	}

	@Test
	void aCommandThatCannotBeStartedFailsTheStartUp() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(ImsgFatalHandler.class, () -> this.reports::add)
			.withPropertyValues("imsg.processes.worker.command=/nonexistent/imsg-worker")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.hasMessageContaining("imsg process 'worker' cannot be started")
					.hasMessageContaining("/nonexistent/imsg-worker");
			});
	}
}
