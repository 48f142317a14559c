package io.github.imsg4j.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;

/**
 * Runs a main class of these tests in a second JVM as user and group {@code nobody} (65534), for attacks and
 * daemons of another uid. The test class path (often under root's home, which nobody cannot read) is copied to
 * a directory nobody can. Skipped, saying why, unless this process is root and {@code setpriv(1)} exists.
 */
final class OtherUser {

	static final int NOBODY = 65534;

	private OtherUser() {
	}

	/** Skips the calling test unless another uid can be had. */
	static void assumeAvailable() {
		Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
				"running a process as another uid needs root (CI runs as root)");
		Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) not installed");
	}

	/**
	 * Starts {@code main} with {@code args} as nobody, and returns once it printed its first line (JVM warnings
	 * skipped).
	 *
	 * @param scratch a directory of the test's, made world-readable here, for the copied class path
	 * @return the process and its first line
	 */
	static Started start(Path scratch, Class<?> main, String... args) throws IOException {
		assumeAvailable();
		List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
				"--clear-groups"));
		command.addAll(TestJvm.readableCommand(scratch, main, args));
		Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
		BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
		String first = out.readLine();
		// Newer JDKs warn about junixsocket's native access before anything else: not the program's output.
		while (first != null && (first.startsWith("WARNING:") || first.isBlank())) {
			first = out.readLine();
		}
		return new Started(p, (first != null) ? first : "", out);
	}

	/** A process started by {@link #start}: its first line, and the rest of its output to read. */
	record Started(Process process, String firstLine, BufferedReader output) implements AutoCloseable {

		/** The rest of its output, once it has exited. */
		String rest() throws IOException {
			StringBuilder b = new StringBuilder();
			String line;
			while ((line = this.output.readLine()) != null) {
				b.append(line).append('\n');
			}
			return b.toString();
		}

		@Override
		public void close() throws Exception {
			this.process.destroyForcibly().waitFor();
			this.output.close();
			this.process.getOutputStream().close();
		}
	}
}
