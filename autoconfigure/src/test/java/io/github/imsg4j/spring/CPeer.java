package io.github.imsg4j.spring;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.WireFormat;
import org.junit.jupiter.api.Assumptions;

/**
 * The C reference peer (OpenBSD's imsg, built from {@code ../shared/cpeer} into {@code target/cpeer} by
 * {@code .ci/run}), run as a real process. Tests that need it are skipped, saying why, when it is not built.
 */
final class CPeer {

	private CPeer() {
	}

	static Path binary(WireFormat wire) {
		return io.github.imsg4j.core.CPeers.binary(wire);
	}

	/** A finished run: exit status and everything it printed. */
	record Result(int exit, String out) {
	}

	/**
	 * Runs a command to completion (at most 60 s).
	 *
	 * @param command the command and its arguments
	 * @return exit status and output
	 */
	static Result run(List<String> command) throws IOException, InterruptedException {
		Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
		String out;
		try (var in = p.getInputStream()) {
			out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		if (!p.waitFor(60, TimeUnit.SECONDS)) {
			p.destroyForcibly();
			throw new AssertionError("timed out: " + command + "\n" + out);
		}
		return new Result(p.exitValue(), out);
	}

	/**
	 * The same command run as user and group {@code nobody} (65534), for tests of peers of another uid. Skipped
	 * unless this process is root and {@code setpriv(1)} exists.
	 */
	static List<String> asNobody(List<String> command) {
		Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
				"running a peer as another uid needs root (CI runs as root)");
		Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) not installed");
		List<String> all = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
				"--clear-groups"));
		all.addAll(command);
		return all;
	}

	/**
	 * Starts {@code cbench server PATH} and waits for its {@code listening} line.
	 *
	 * @param wire the generation
	 * @param path where it listens
	 * @return the running server; destroy it to stop it
	 */
	static Process server(WireFormat wire, Path path) throws IOException {
		Process p = new ProcessBuilder(binary(wire).toString(), "server", path.toString()).redirectErrorStream(true)
			.start();
		BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
		String line = r.readLine();
		if (line == null || !line.startsWith("listening")) {
			p.destroyForcibly();
			throw new AssertionError("C server did not start: " + line);
		}
		// Close our ends of its pipes now: the JVM would close them whenever the process exits, which makes
		// descriptor counts taken meanwhile drift.
		r.close();
		p.getOutputStream().close();
		return p;
	}
}
