package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.imsg4j.core.internal.Spawner;
import org.jspecify.annotations.Nullable;

/**
 * A child process connected to this one by a socket, the shape of OpenBSD's privilege-separated daemons: the
 * parent starts a helper (privileged, or sandboxed) and they talk imsg over a {@code socketpair(2)} whose other
 * end the child finds at a fixed descriptor (3 by default, as {@code proc.c} puts it) and opens with
 * {@code imsgbuf_init(&ibuf, 3)}, or, in Java, with {@link ImsgChannel#fromParent}.
 *
 * <p><b>How the socket reaches the child.</b> On Java 22 and later, through the foreign-function API:
 * {@code posix_spawn(3)} with the child's end of the pair at the descriptor (and {@code IMSG4J_FD} naming it),
 * every other descriptor of this process closed in the child. On Java 17-21 a JDK cannot give a child any
 * descriptor but 0-2: the child is told a private rendezvous socket in {@code IMSG4J_RENDEZVOUS}, and only a
 * connection from the child's own pid is accepted. {@link #mechanism()} says which applies; a C child that only
 * knows its descriptor needs the first.
 *
 * <p>The child's end is observed ({@link #exit()}: status or signal), and {@link #stop(Duration)} sends
 * {@code SIGTERM}, then {@code SIGKILL} after the grace period, and reaps it, so that no zombie remains. Over a
 * socket pair the peer credentials are this process's own (the pair was made here), as on OpenBSD; the pid
 * that matters is {@link #pid()}.
 */
public final class ImsgChildProcess implements AutoCloseable {

	private static final Spawner SPAWNER = Spawner.best();

	private final Spawner.Spawned spawned;

	private final ImsgChannel channel;

	private ImsgChildProcess(Spawner.Spawned spawned, ImsgChannel channel) {
		this.spawned = spawned;
		this.channel = channel;
	}

	/**
	 * What to run and where its socket goes.
	 *
	 * @param command the program (looked up in {@code PATH}) and its arguments
	 * @param environment variables set for the child on top of this process's (or alone, see
	 *        {@code inheritEnvironment}); a {@code null} value removes one
	 * @param inheritEnvironment whether the child starts from this process's environment (less what systemd set for
	 *        this process alone: {@code LISTEN_*}, {@code NOTIFY_SOCKET}, {@code WATCHDOG_*})
	 * @param directory the child's working directory, or {@code null} for this process's
	 * @param fd the descriptor at which the child finds its socket; at least 3
	 * @param sandbox what the child may do, or {@code null} to leave it unconfined ({@link ImsgSandbox})
	 */
	public record Spec(List<String> command, Map<String, @Nullable String> environment, boolean inheritEnvironment,
			@Nullable Path directory, int fd, @Nullable ImsgSandbox sandbox) {

		/**
		 * Validates the fields.
		 *
		 * @param command the program and its arguments
		 * @param environment variables for the child
		 * @param inheritEnvironment whether it starts from this process's environment
		 * @param directory its working directory, or {@code null}
		 * @param fd its socket's descriptor
		 * @param sandbox what it may do, or {@code null}
		 */
		public Spec {
			command = List.copyOf(command);
			if (command.isEmpty() || command.get(0).isBlank()) {
				throw new ImsgOptionException("command", command.isEmpty() ? null : command.get(0),
						"the program to run (a path, or a name looked up in PATH)");
			}
			environment = java.util.Collections.unmodifiableMap(new HashMap<>(environment));
			if (fd < 3) {
				throw new ImsgOptionException("fd", fd, "a descriptor of 3 or more (0-2 are the child's stdio)");
			}
		}

		/**
		 * @param command the program and its arguments
		 * @return a spec with this process's environment, working directory, and the socket at 3
		 */
		public static Spec of(String... command) {
			return new Spec(List.of(command), Map.of(), true, null, 3, null);
		}

		/**
		 * An unconfined child.
		 *
		 * @param command the program and its arguments
		 * @param environment variables for the child
		 * @param inheritEnvironment whether it starts from this process's environment
		 * @param directory its working directory, or {@code null}
		 * @param fd its socket's descriptor
		 */
		public Spec(List<String> command, Map<String, @Nullable String> environment, boolean inheritEnvironment,
				@Nullable Path directory, int fd) {
			this(command, environment, inheritEnvironment, directory, fd, null);
		}

		/**
		 * @param confinement what the child may do ({@link ImsgSandbox}), or {@code null} for nothing
		 * @return a spec that confines the child so
		 */
		public Spec withSandbox(@Nullable ImsgSandbox confinement) {
			return new Spec(this.command, this.environment, this.inheritEnvironment, this.directory, this.fd,
					confinement);
		}

		/**
		 * @param variables set (or, with a {@code null} value, removed) for the child
		 * @return a copy with those variables
		 */
		public Spec withEnvironment(Map<String, @Nullable String> variables) {
			return new Spec(this.command, variables, this.inheritEnvironment, this.directory, this.fd, this.sandbox);
		}

		/**
		 * @param dir the child's working directory
		 * @return a copy with that directory
		 */
		public Spec withDirectory(@Nullable Path dir) {
			return new Spec(this.command, this.environment, this.inheritEnvironment, dir, this.fd, this.sandbox);
		}

		/**
		 * @param descriptor where the child finds its socket
		 * @return a copy with that descriptor
		 */
		public Spec withFd(int descriptor) {
			return new Spec(this.command, this.environment, this.inheritEnvironment, this.directory, descriptor, this.sandbox);
		}

		/**
		 * @param inherit whether the child starts from this process's environment
		 * @return a copy
		 */
		public Spec withInheritedEnvironment(boolean inherit) {
			return new Spec(this.command, this.environment, inherit, this.directory, this.fd, this.sandbox);
		}

		/** Variables systemd set for this process only; a child gets them only when its spec names them. */
		static final List<String> PARENT_ONLY_VARIABLES = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
				"NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC");

		Map<String, String> resolvedEnvironment() {
			return resolvedEnvironment(System.getenv());
		}

		/** The child's environment when this process's is {@code own}. */
		Map<String, String> resolvedEnvironment(Map<String, String> own) {
			Map<String, String> env = this.inheritEnvironment ? new HashMap<>(own) : new HashMap<>();
			env.remove(Spawner.FD_VARIABLE);
			env.remove(Spawner.RENDEZVOUS_VARIABLE);
			// Meant for this process alone, as sd_listen_fds(1) and sd_notify(3) unset them: a child that saw them
			// could take this process's activated sockets for its own, or tell systemd it is this service.
			PARENT_ONLY_VARIABLES.forEach(env::remove);
			this.environment.forEach((k, v) -> {
				if (v == null) {
					env.remove(k);
				}
				else {
					env.put(k, v);
				}
			});
			return env;
		}
	}

	/**
	 * Starts the child and connects to it.
	 *
	 * @param spec what to run
	 * @param options how the channel to the child speaks
	 * @param listener who receives the child's messages, or {@code null} to queue them for
	 *        {@link ImsgChannel#receive}
	 * @return the running child
	 * @throws ImsgIoException when it cannot be started, or (fallback) does not connect
	 */
	public static ImsgChildProcess start(Spec spec, ChannelOptions options, @Nullable ImsgListener listener) {
		return start(spec, options, listener, SPAWNER);
	}

	static ImsgChildProcess start(Spec spec, ChannelOptions options, @Nullable ImsgListener listener, Spawner spawner) {
		Spawner.Spawned spawned;
		try {
			spawned = spawner.spawn(spec.command(), spec.resolvedEnvironment(), spec.directory(), spec.fd(),
					options.fdPassing(), spec.sandbox());
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot start child " + spec.command() + ": " + ex.getMessage(), ex);
		}
		ImsgChannel channel;
		try {
			channel = ImsgChannel.open(spawned.transport(), options, listener, "child " + spawned.pid());
		}
		catch (RuntimeException ex) {
			spawned.signal(true);
			throw new ImsgIoException("cannot talk to child " + spawned.pid() + ": " + ex.getMessage(), ex);
		}
		return new ImsgChildProcess(spawned, channel);
	}

	/**
	 * @return how children get their socket on this JDK
	 */
	public static String mechanism() {
		return SPAWNER.mechanism();
	}

	/**
	 * @return what can confine children here ({@link Spec#sandbox()}): {@code Landlock ABI N}, or, starting with
	 *         {@code none}, why nothing can (Java 17-21, a kernel without Landlock)
	 */
	public static String confinementSupport() {
		return SPAWNER.confinement();
	}

	/**
	 * @return the channel to the child
	 */
	public ImsgChannel channel() {
		return this.channel;
	}

	/**
	 * @return the child's pid
	 */
	public long pid() {
		return this.spawned.pid();
	}

	/**
	 * @return how the child is confined: what the kernel granted of its {@link Spec#sandbox()}, or why it is not
	 *         confined
	 */
	public String confinement() {
		return this.spawned.confinement();
	}

	/**
	 * The child's standard output and error pass through this process (to its own, line by line, as they come);
	 * the last lines are kept for a report of its death.
	 *
	 * @return the last (at most 20) lines it wrote, oldest first
	 */
	public List<String> lastOutput() {
		return this.spawned.lastOutput();
	}

	/**
	 * @return completes once the child has ended and been reaped, with how it ended
	 */
	public CompletableFuture<ChildExit> exit() {
		return this.spawned.exit();
	}

	/**
	 * Stops the child: {@code SIGTERM}, then {@code SIGKILL} if it has not ended within {@code grace}; waits until
	 * it is reaped, and closes the channel.
	 *
	 * @param grace how long the child has to exit after {@code SIGTERM}
	 * @return how it ended
	 */
	public ChildExit stop(Duration grace) {
		try {
			if (!this.spawned.exit().isDone()) {
				this.spawned.signal(false);
				try {
					return this.spawned.exit().get(grace.toNanos(), TimeUnit.NANOSECONDS);
				}
				catch (TimeoutException ex) {
					this.spawned.signal(true);
				}
			}
			return this.spawned.exit().get(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ImsgIoException("interrupted while stopping child " + pid());
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new ImsgIoException("child " + pid() + " could not be reaped: " + ex, ex);
		}
		finally {
			this.channel.abort();
		}
	}

	/** {@link #stop(Duration)} with a five-second grace period. */
	@Override
	public void close() {
		stop(Duration.ofSeconds(5));
	}

	@Override
	public String toString() {
		return "child " + pid() + " (" + this.channel.name() + ")";
	}
}
