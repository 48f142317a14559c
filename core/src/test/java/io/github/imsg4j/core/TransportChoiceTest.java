package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.imsg4j.core.internal.SocketLayer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which socket layer a process uses and the one line that says why ({@link ImsgSocketLayer#describe()}): the FFM
 * layer wherever the JDK has the foreign-function API (22+) and it was built in, junixsocket on Java 17-21 or when
 * {@code imsg4j.transport=junixsocket} forces it; and {@code imsg4j.transport} asking for what cannot be had is
 * one clear error. Each case runs in a JVM of its own ({@link Describe}), since the choice is made once per
 * process. CI runs the whole suite both ways on its JDK 25, and this test checks that the build put the FFM
 * classes in whenever a JDK >= 22 was on the machine, whatever JDK ran Maven.
 */
class TransportChoiceTest {

	/** Prints {@link ImsgSocketLayer#describe()}, or the error of {@link ImsgSocketLayer#check()}. */
	public static final class Describe {

		public static void main(String[] args) {
			try {
				ImsgSocketLayer.check();
				System.out.println(ImsgSocketLayer.name() + "|" + ImsgSocketLayer.describe());
			}
			catch (ImsgSocketLayerException ex) {
				System.out.println("error|" + ex.getMessage());
			}
		}
	}

	private static String run(String transport) throws Exception {
		List<String> cmd = new ArrayList<>(TestJvm.command(Describe.class));
		cmd.removeIf((a) -> a.startsWith("-D" + SocketLayer.PROPERTY + "="));
		if (transport != null) {
			cmd.add(1, "-D" + SocketLayer.PROPERTY + "=" + transport);
		}
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String[] lines = out.split("\n");
		return lines[lines.length - 1];
	}

	@Test
	void theDefaultIsFfmWhereTheJdkHasItAndSaysWhyOtherwise() throws Exception {
		String line = run(null);
		if (Runtime.version().feature() >= 22) {
			assertThat(line).startsWith("ffm|socket layer FFM (Java " + Runtime.version())
				.contains("native access enabled");
		}
		else {
			assertThat(line).isEqualTo("junixsocket|socket layer junixsocket: Java " + Runtime.version().feature()
					+ " (the FFM layer needs Java 22 or later) (Java " + Runtime.version()
					+ ", native access needs no flag before Java 22)");
		}
	}

	@Test
	void junixsocketCanBeForced() throws Exception {
		assertThat(run("junixsocket")).startsWith("junixsocket|socket layer junixsocket: forced by imsg4j.transport (");
	}

	@Test
	void askingForWhatCannotBeHadIsOneClearError() throws Exception {
		assertThat(run("nonsense")).isEqualTo("error|imsg4j.transport=nonsense: expected ffm or junixsocket");
		if (Runtime.version().feature() < 22) {
			assertThat(run("ffm")).isEqualTo("error|imsg4j.transport=ffm, but the FFM socket layer cannot be used: Java "
					+ Runtime.version().feature() + " (the FFM layer needs Java 22 or later)");
		}
		else {
			assertThat(run("ffm")).startsWith("ffm|socket layer FFM: asked for by imsg4j.transport (");
		}
	}

	@Test
	void theBuildPutTheFfmClassesInWheneverAJdk22WasOnTheMachine() throws IOException {
		Path classes = Path.of("target", "classes", "io", "github", "imsg4j", "core", "internal", "ffm",
				"FfmSocketLayer.class");
		if (jdk22Installed()) {
			assertThat(classes).as("the FFM layer, compiled by src/build/compile-java22.sh on Java "
					+ Runtime.version().feature()).exists();
		}
	}

	/** The running JDK, or one under /usr/lib/jvm, is 22 or later (the places CI's and this machine's JDKs are). */
	private static boolean jdk22Installed() throws IOException {
		if (Runtime.version().feature() >= 22) {
			return true;
		}
		Path jvms = Path.of("/usr/lib/jvm");
		if (!Files.isDirectory(jvms)) {
			return false;
		}
		try (Stream<Path> all = Files.list(jvms)) {
			return all.map((d) -> d.resolve("release")).filter(Files::isReadable).anyMatch((r) -> {
				try {
					return Files.readAllLines(r).stream()
						.filter((l) -> l.startsWith("JAVA_VERSION=\""))
						.map((l) -> l.substring(14).split("[.\"]")[0])
						.anyMatch((v) -> v.matches("\\d+") && Integer.parseInt(v) >= 22);
				}
				catch (IOException ex) {
					return false;
				}
			});
		}
	}
}
