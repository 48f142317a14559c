package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.ChildExit;
import io.github.imsg4j.core.ImsgSandbox;
import org.jspecify.annotations.Nullable;

/**
 * The fallback {@link Spawner} for JDKs without the foreign-function API: the child is started with
 * {@link ProcessBuilder} and told, in {@value Spawner#RENDEZVOUS_VARIABLE}, a socket to connect to. Only a
 * connection whose {@code SO_PEERCRED} pid is the child's is accepted; any other is closed unread. The socket
 * has a random 128-bit name in a fresh directory that others may traverse but not list ({@code 0711}), so that
 * a child started under another uid (through {@code setpriv}) can reach it and nobody can find it to get in the
 * way. The socket and its directory are gone once the child has connected.
 */
public final class RendezvousSpawner implements Spawner {

	/** How long the child has to connect. */
	private static final long CONNECT_NANOS = TimeUnit.SECONDS.toNanos(60);

	@Override
	public String mechanism() {
		return "a rendezvous socket named in " + RENDEZVOUS_VARIABLE + " (Java 17-21: no descriptor can be given to a child)";
	}

	@Override
	public Spawned spawn(List<String> command, Map<String, String> environment, @Nullable Path directory, int fd,
			boolean receiveFds, @Nullable ImsgSandbox sandbox) throws IOException {
		String unconfined = "not confined: Landlock is reached through the foreign-function API, which needs Java 22 or "
				+ "later (this is Java " + Runtime.version().feature() + ")";
		if (sandbox != null && sandbox.required()) {
			throw new IOException("cannot confine " + command.get(0) + " as its required sandbox asks: " + unconfined);
		}
		Path dir = Files.createTempDirectory("imsg4j-child-",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		// traversable, not listable: the name below is the only way in, and the pid check the only way through
		Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
		byte[] random = new byte[16];
		new java.security.SecureRandom().nextBytes(random);
		Path sock = dir.resolve(java.util.HexFormat.of().formatHex(random));
		try (ListeningSocket server = SocketLayer.get().openListening()) {
			server.bind(sock, 1);
			// its output comes through us (passed on as it comes), so that a report of its death can quote it
			ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT);
			builder.environment().clear();
			builder.environment().putAll(environment);
			builder.environment().put(RENDEZVOUS_VARIABLE, sock.toString());
			if (directory != null) {
				builder.directory(directory.toFile());
			}
			Process process = builder.start();
			ChildOutput output = new ChildOutput();
			output.pass(process.getInputStream(), System.out, "imsg4j-child-" + process.pid() + "-out");
			output.pass(process.getErrorStream(), System.err, "imsg4j-child-" + process.pid() + "-err");
			Transport child = acceptFrom(server, process, receiveFds);
			return new Child(process, child, (sandbox != null) ? unconfined : "not confined", output);
		}
		finally {
			Files.deleteIfExists(sock);
			Files.deleteIfExists(dir);
		}
	}

	/**
	 * Accepts the child's connection, closing any other; fails when the child exits or takes too long. The
	 * listening socket is non-blocking: between tries the thread waits on the child's exit, at most 10 ms.
	 */
	private static Transport acceptFrom(ListeningSocket server, Process process, boolean receiveFds) throws IOException {
		long deadline = System.nanoTime() + CONNECT_NANOS;
		while (true) {
			Transport c = server.accept(receiveFds);
			if (c != null) {
				if (c.peerCredentials().pid() == process.pid()) {
					return c;
				}
				c.close(); // not the child's: someone who guessed the name, or a process of the child's
				continue;
			}
			try {
				if (process.waitFor(10, TimeUnit.MILLISECONDS)) {
					throw new IOException("the child (pid " + process.pid() + ") exited with status "
							+ process.exitValue() + " before it connected to " + RENDEZVOUS_VARIABLE);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				process.destroyForcibly();
				throw new IOException("interrupted while waiting for the child (pid " + process.pid() + ") to connect");
			}
			if (System.nanoTime() > deadline) {
				process.destroyForcibly();
				throw new IOException("the child (pid " + process.pid() + ") did not connect to " + RENDEZVOUS_VARIABLE
						+ " within 60 s; killed");
			}
		}
	}

	private static final class Child extends StartedChild {

		private final Process process;

		private final Transport socket;

		private final CompletableFuture<ChildExit> exit;

		Child(Process process, Transport socket, String confinement, ChildOutput output) {
			super(confinement, output);
			this.process = process;
			this.socket = socket;
			// The JDK reaps its own children; it reports death by signal N as status 128 + N, like a shell.
			this.exit = process.onExit().thenApply((p) -> {
				int v = p.exitValue();
				return (v > 128 && v < 160) ? new ChildExit(-1, v - 128) : new ChildExit(v, 0);
			});
		}

		@Override
		public long pid() {
			return this.process.pid();
		}


		@Override
		public Transport transport() {
			return this.socket;
		}

		@Override
		public CompletableFuture<ChildExit> exit() {
			return this.exit;
		}

		@Override
		public void signal(boolean force) {
			if (force) {
				this.process.destroyForcibly();
			}
			else {
				this.process.destroy();
			}
		}
	}
}
