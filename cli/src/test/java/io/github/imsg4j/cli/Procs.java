package io.github.imsg4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.imsg4j.core.WireFormat;
import org.junit.jupiter.api.Assumptions;

/** Real processes for the command's tests: the imsg4j command itself (a fresh JVM) and the C peer. */
final class Procs {

	private Procs() {
	}

	/**
	 * The command line that runs {@code imsg4j ARGS} in a new JVM with this test's class path, native access
	 * allowed as the command's launcher allows it (no restricted-method warning on Java 22+).
	 */
	static List<String> imsg4j(String... args) {
		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
		if (Runtime.version().feature() >= 22) {
			cmd.add("--enable-native-access=ALL-UNNAMED");
		}
		cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Imsg4j.class.getName()));
		cmd.addAll(List.of(args));
		return cmd;
	}

	static Path cpeer(WireFormat wire) {
		return io.github.imsg4j.core.CPeers.binary(wire);
	}

	/** Waits (30 s at most, yielding) for a process to create its socket. */
	static void awaitFile(Path path) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (!Files.exists(path)) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError(path + " did not appear within 30 s");
			}
			Thread.yield();
		}
	}

	/** A finished process: exit status, stdout, stderr. */
	record Result(int exit, String out, String err) {
	}

	/** Runs to completion (60 s at most), feeding {@code stdin}. */
	static Result run(List<String> cmd, String stdin) throws IOException, InterruptedException {
		Path out = Files.createTempFile("imsg4j-out", ".txt");
		Path err = Files.createTempFile("imsg4j-err", ".txt");
		try {
			Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
			try (OutputStream in = p.getOutputStream()) {
				in.write(stdin.getBytes(StandardCharsets.UTF_8));
			}
			if (!p.waitFor(60, TimeUnit.SECONDS)) {
				p.destroyForcibly();
				throw new AssertionError("timed out: " + cmd + "\nstdout: " + Files.readString(out) + "\nstderr: "
						+ Files.readString(err));
			}
			return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
		}
		finally {
			Files.deleteIfExists(out);
			Files.deleteIfExists(err);
		}
	}

	/** A long-running process whose stdout is drained continuously (a full pipe would stall it) into lines. */
	static final class Running implements AutoCloseable {

		final Process process;

		private final java.util.concurrent.LinkedBlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();

		Running(List<String> cmd) throws IOException {
			this.process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
			BufferedReader out = new BufferedReader(
					new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8));
			Thread drain = new Thread(() -> {
				try (out) {
					String line;
					while ((line = out.readLine()) != null) {
						this.lines.add(line);
					}
				}
				catch (IOException ex) {
					// process gone
				}
			}, "drain-" + this.process.pid());
			drain.setDaemon(true);
			drain.start();
		}

		/** Takes lines until one starts with {@code prefix} (30 s at most). */
		String awaitLine(String prefix) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
			while (true) {
				String line = this.lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				if (line == null) {
					throw new AssertionError("no line starting with '" + prefix + "' within 30 s");
				}
				if (line.startsWith(prefix)) {
					return line;
				}
			}
		}

		/** Open descriptors of the process. */
		long fds() throws IOException {
			try (Stream<Path> s = Files.list(Path.of("/proc/" + this.process.pid() + "/fd"))) {
				return s.count();
			}
		}

		/** SIGTERM, then waits for the exit status. */
		int stop() throws InterruptedException {
			this.process.destroy();
			if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
				throw new AssertionError("did not stop on SIGTERM");
			}
			return this.process.exitValue();
		}

		@Override
		public void close() {
			this.process.destroyForcibly();
		}
	}
}
