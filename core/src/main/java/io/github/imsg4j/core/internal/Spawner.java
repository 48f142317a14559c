package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.github.imsg4j.core.ChildExit;
import io.github.imsg4j.core.ImsgSandbox;
import org.jspecify.annotations.Nullable;

/**
 * Starts a child process connected to this one by a fresh socket: the seam between the two ways a JDK can do
 * it. With the foreign-function API (Java 22+), {@code posix_spawn(3)} with one end of a {@code socketpair(2)}
 * at the descriptor the child expects, as OpenBSD's {@code proc.c} does ({@code internal.ffm.PosixSpawner}).
 * Without it, a Java 17 {@link ProcessBuilder} cannot give a child any descriptor but 0-2: the child is told a
 * private rendezvous socket in {@code IMSG4J_RENDEZVOUS} and connects to it, and only a connection from that
 * child's pid is accepted ({@link RendezvousSpawner}). Children written for imsg4j handle both
 * ({@code ImsgChannel.fromParent}); a C child that expects its socket at a descriptor needs the first.
 */
public interface Spawner {

	/** The environment variable that names the descriptor of the child's socket (posix_spawn). */
	String FD_VARIABLE = "IMSG4J_FD";

	/** The environment variable that names the rendezvous socket the child connects to (fallback). */
	String RENDEZVOUS_VARIABLE = "IMSG4J_RENDEZVOUS";

	/**
	 * Starts {@code command}.
	 *
	 * @param command the program (looked up in {@code PATH}) and its arguments
	 * @param environment the child's whole environment
	 * @param directory its working directory, or {@code null} for this process's
	 * @param fd the descriptor the child finds its socket at (at least 3)
	 * @param receiveFds whether this process's end accepts descriptors
	 * @param sandbox what the child may do ({@link ImsgSandbox}), or {@code null} for an unconfined child
	 * @return the running child
	 * @throws IOException when it cannot be started or does not connect, or cannot be confined as a required
	 *         sandbox asks
	 */
	Spawned spawn(List<String> command, Map<String, String> environment, @Nullable Path directory, int fd,
			boolean receiveFds, @Nullable ImsgSandbox sandbox) throws IOException;

	/**
	 * @return how children are started and given their socket, for logs and docs
	 */
	String mechanism();

	/**
	 * @return what can confine a child here ("Landlock ABI 7"), or, starting with "none", why nothing can
	 */
	default String confinement() {
		return "none: confining a child needs the foreign-function API (Java 22 or later) and Linux's Landlock";
	}

	/** A started child. */
	interface Spawned {

		/**
		 * @return its pid
		 */
		long pid();

		/**
		 * @return this process's end of the socket, connected to the child, a transport of the
		 *         {@link SocketLayer} in use; the caller owns it
		 */
		Transport transport();

		/**
		 * @return completes once the child has ended and been reaped
		 */
		CompletableFuture<ChildExit> exit();

		/**
		 * @return the last lines the child wrote to its standard output and error (passed on to this process's),
		 *         oldest first
		 */
		List<String> lastOutput();

		/**
		 * @return how it is confined, for the start-up line ("not confined" when no sandbox was asked for)
		 */
		String confinement();

		/**
		 * Sends a signal (nothing once it has been reaped).
		 *
		 * @param force {@code SIGKILL} when true, else {@code SIGTERM}
		 */
		void signal(boolean force);
	}

	/**
	 * The best spawner this JDK offers: {@code posix_spawn} through the foreign-function API on Java 22+ when
	 * its classes are in the build and native access works, else the rendezvous fallback. Set the system
	 * property {@code imsg4j.spawner=rendezvous} to force the fallback.
	 *
	 * @return the spawner
	 */
	static Spawner best() {
		if (!"rendezvous".equals(System.getProperty("imsg4j.spawner")) && Runtime.version().feature() >= 22) {
			try {
				return (Spawner) Class.forName("io.github.imsg4j.core.internal.ffm.PosixSpawner")
					.getDeclaredConstructor().newInstance();
			}
			catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
				// built on JDK 17 (no FFM classes), or native access denied: the fallback works everywhere
			}
		}
		return new RendezvousSpawner();
	}
}
