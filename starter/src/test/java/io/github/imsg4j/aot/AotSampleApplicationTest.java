package io.github.imsg4j.aot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.TestJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringApplicationAotProcessor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The AOT path a native image takes, run on the JVM: the same processing {@code spring-boot:process-aot} runs
 * ({@link SpringApplicationAotProcessor} on {@link AotSampleApplication}), the generated sources compiled, the
 * reachability metadata checked for the handler methods and their structs, then the application started in AOT
 * mode ({@code -Dspring.aot.enabled=true}) and sent a struct and a descriptor by a real client. The test's own
 * descriptors are back where they were afterwards.
 */
@ExtendWith(OpenFds.class)
class AotSampleApplicationTest {

	@TempDir
	Path dir;

	@Test
	void theAotProcessedApplicationServesStructsAndDescriptors() throws Exception {
		Path sources = this.dir.resolve("sources");
		Path resources = this.dir.resolve("resources");
		Path classes = this.dir.resolve("classes");
		Path socket = this.dir.resolve("sample.sock");
		String[] settings = { "--spring.config.name=aot-sample", "--imsg.endpoints.sample.path=" + socket,
				"--imsg.endpoints.sample.fd-passing=true" };

		List<String> process = new ArrayList<>(TestJvm.command(SpringApplicationAotProcessor.class,
				AotSampleApplication.class.getName(), sources.toString(), resources.toString(), classes.toString(),
				"io.github.imsg4j", "aot-sample"));
		process.addAll(List.of(settings));
		assertThat(run(process, this.dir.resolve("process-aot.log"))).as("AOT processing").isZero();

		String classPath = TestJvm.classPath().stream().map(Path::toString).collect(Collectors.joining(":"));
		JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
		List<String> compile = new ArrayList<>(List.of("-d", classes.toString(), "-cp", classPath, "-proc:none"));
		try (Stream<Path> files = Files.walk(sources)) {
			files.filter((f) -> f.toString().endsWith(".java")).forEach((f) -> compile.add(f.toString()));
		}
		assertThat(javac.run(null, null, null, compile.toArray(String[]::new))).as("compiling generated sources").isZero();

		String metadata;
		try (Stream<Path> files = Files.walk(resources.resolve("META-INF/native-image"))) {
			StringBuilder all = new StringBuilder();
			for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
				all.append(Files.readString(f));
			}
			metadata = all.toString();
		}
		assertThat(metadata).as("native-image metadata")
			.contains("AotSampleApplication$Handlers", "\"measure\"", "\"firstLine\"",
					"AotSampleApplication$Segment", "AotSampleApplication$Point", "AotSampleApplication$Answer");

		List<String> app = new ArrayList<>(TestJvm.command(AotSampleApplication.class));
		app.add(1, "-Dspring.aot.enabled=true");
		int cp = app.indexOf("-cp") + 1;
		app.set(cp, classes + ":" + resources + ":" + app.get(cp));
		app.addAll(List.of(settings));
		Path log = this.dir.resolve("app.log");
		Process running = new ProcessBuilder(app).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		try {
			await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(socket) || !running.isAlive());
			assertThat(running.isAlive()).as("started: %s", Files.readString(log)).isTrue();
			assertThat(Files.readString(log)).contains("Starting AOT-processed AotSampleApplication");
			exchange(socket);
		}
		finally {
			running.destroy();
			assertThat(running.waitFor(30, TimeUnit.SECONDS)).isTrue();
		}
	}

	private void exchange(Path socket) throws IOException {
		Path text = Files.writeString(this.dir.resolve("motd"), "handed over\nsecond line\n");
		try (ImsgChannel ch = ImsgChannel.connect(socket, ChannelOptions.defaults())) {
			ByteBuffer segment = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putInt(1).putInt(2).putInt(4).putInt(6)
				.flip();
			ch.compose(1, 0, 0, null, segment);
			try (Imsg reply = ch.receive(Duration.ofSeconds(10))) {
				assertThat(reply.type()).isEqualTo(2);
				assertThat(reply.length()).as("int64 + struct point").isEqualTo(16);
				PayloadReader answer = reply.reader();
				assertThat(answer.getH64()).as("squared length").isEqualTo(9 + 16);
				assertThat(answer.getH32()).as("middle x").isEqualTo(2);
				assertThat(answer.getH32()).as("middle y").isEqualTo(4);
			}
			ch.compose(3, 0, 0, OutboundFd.openReadOnly(text), ByteBuffer.allocate(0));
			try (Imsg reply = ch.receive(Duration.ofSeconds(10))) {
				assertThat(reply.type()).isEqualTo(4);
				assertThat(reply.reader().getCString(reply.length())).isEqualTo("handed over");
			}
		}
	}

	private static int run(List<String> command, Path log) throws Exception {
		Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		if (!p.waitFor(180, TimeUnit.SECONDS)) {
			p.destroyForcibly();
			throw new AssertionError("timed out: " + command + "\n" + Files.readString(log));
		}
		if (p.exitValue() != 0) {
			System.out.println(Files.readString(log));
		}
		return p.exitValue();
	}
}
