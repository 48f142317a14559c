package io.github.imsg4j.spring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ChildExit;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.ImsgIoException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgSandbox;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link ClientEndpoint} gets its connection, each time it (re)connects: to a daemon's socket path, over a
 * socket the parent process left at a descriptor, or to a child process it starts.
 */
public interface ImsgConnector {

	/**
	 * Opens a new connection.
	 *
	 * @param options how it speaks
	 * @param listener who receives its messages
	 * @return the channel
	 * @throws io.github.imsg4j.core.ImsgException when it cannot be made
	 */
	ImsgChannel open(ChannelOptions options, ImsgListener listener);

	/**
	 * @return what it connects to, for logs and errors
	 */
	String describe();

	/**
	 * @return whether a lost connection can be made again (not for a socket inherited once)
	 */
	default boolean reconnectable() {
		return true;
	}

	/**
	 * @return whether serving this connection is reason enough for the application to keep running (a child
	 *         process's parent, or a helper serving its parent), as a listening endpoint is
	 */
	default boolean keepsApplicationAlive() {
		return false;
	}

	/**
	 * Releases what stands behind the connections it made (a child process is stopped and reaped): when the
	 * application stops, and when a connection it made has ended.
	 *
	 * @param grace how long a child has to exit after {@code SIGTERM}
	 */
	default void stop(Duration grace) {
	}

	/**
	 * @param path the daemon's socket
	 * @return a connector to it
	 */
	static ImsgConnector path(Path path) {
		return new ImsgConnector() {
			@Override
			public ImsgChannel open(ChannelOptions options, ImsgListener listener) {
				return ImsgChannel.connect(path, options, listener);
			}

			@Override
			public String describe() {
				return path.toString();
			}
		};
	}

	/**
	 * The socket the parent left this process ({@link ImsgChannel#fromParent}): once, no reconnecting.
	 *
	 * @param fd the descriptor when the parent names none in the environment
	 * @return the connector
	 */
	static ImsgConnector fromParent(int fd) {
		return new ImsgConnector() {
			@Override
			public ImsgChannel open(ChannelOptions options, ImsgListener listener) {
				return ImsgChannel.fromParent(fd, options, listener);
			}

			@Override
			public String describe() {
				return "the parent process (descriptor " + fd + " or IMSG4J_RENDEZVOUS)";
			}

			@Override
			public boolean reconnectable() {
				return false;
			}

			@Override
			public boolean keepsApplicationAlive() {
				return true;
			}
		};
	}

	/**
	 * A child process started on every (re)connect; its exit is logged, and it is stopped with the application.
	 *
	 * @param name the process's name, for logs
	 * @param spec what to run
	 * @return the connector
	 */
	static ImsgConnector child(String name, ImsgChildProcess.Spec spec) {
		return child(name, spec, Duration.ofSeconds(5));
	}

	/**
	 * A child process started on every (re)connect, after the previous one is stopped and reaped.
	 *
	 * @param name the process's name, for logs
	 * @param spec what to run
	 * @param grace how long a child has to exit after {@code SIGTERM} when it is stopped to start another
	 * @return the connector
	 */
	static ImsgConnector child(String name, ImsgChildProcess.Spec spec, Duration grace) {
		return new ChildConnector(name, spec, grace);
	}

	/**
	 * Starts the child on each connect, and owns every child it started until it is reaped: a child is stopped
	 * ({@code SIGTERM}, the grace, {@code SIGKILL}) and reaped before another is started, when its connection ends
	 * ({@link ClientEndpoint} calls {@link #stop} then), and when the application stops. So no child outlives the
	 * connector's interest in it, whatever the child does with the hang-up or {@code SIGTERM}.
	 */
	final class ChildConnector implements ImsgConnector {

		private static final Log LOG = LogFactory.getLog(ChildConnector.class);

		private final String name;

		private final ImsgChildProcess.Spec spec;

		/** The last child started; it stays here after it exits, for health and reports. Guarded by {@link #live}. */
		private @Nullable ImsgChildProcess current;

		/** Children started and not yet reaped; guarded by itself. */
		private final Set<ImsgChildProcess> live = new LinkedHashSet<>();

		/** Children of {@link #live} this connector is stopping: their exit by our signal is no news. */
		private final Set<ImsgChildProcess> stopping = new LinkedHashSet<>();

		/** How long a child has to exit after {@code SIGTERM} when {@link #open} stops it to start another. */
		private final Duration grace;

		ChildConnector(String name, ImsgChildProcess.Spec spec, Duration grace) {
			this.name = name;
			this.spec = spec;
			this.grace = grace;
		}

		@Override
		public ImsgChannel open(ChannelOptions options, ImsgListener listener) {
			// Normally stopped already when its connection ended; this covers a caller that did not say so.
			stop(this.grace);
			createWritableDirectories();
			ImsgChildProcess child = ImsgChildProcess.start(this.spec, options, listener);
			synchronized (this.live) {
				this.live.add(child);
				this.current = child;
			}
			LOG.info("imsg process '" + this.name + "' started: pid " + child.pid() + ", " + this.spec.command().get(0) + " ("
					+ ImsgChildProcess.mechanism() + "); " + child.confinement());
			if (this.spec.sandbox() != null && child.confinement().startsWith("not confined")) {
				LOG.warn("imsg process '" + this.name + "' runs unconfined although imsg.processes." + this.name
						+ ".sandbox is enabled (set sandbox.required to refuse that): " + child.confinement());
			}
			child.exit().whenComplete((exit, ex) -> {
				boolean stopped;
				synchronized (this.live) {
					this.live.remove(child);
					stopped = this.stopping.remove(child);
				}
				String how = (exit != null) ? exit.toString() : "could not be reaped: " + ex;
				if (exit != null && (exit.success() || stopped)) {
					LOG.info("imsg process '" + this.name + "' (pid " + child.pid() + ") " + how);
				}
				else {
					LOG.warn("imsg process '" + this.name + "' (pid " + child.pid() + ") " + how);
				}
				// its socket may still hold what it wrote before it died: the channel delivers that, then ends
			});
			return child.channel();
		}

		/**
		 * A confined child can create nothing outside its writable directories, so they must exist before it starts
		 * (a Landlock rule names an existing file): those missing are created, mode 0700.
		 */
		private void createWritableDirectories() {
			ImsgSandbox box = this.spec.sandbox();
			if (box == null) {
				return;
			}
			for (Path dir : box.write()) {
				if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
					try {
						Files.createDirectories(dir,
								PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
						LOG.info("imsg process '" + this.name + "': created " + dir + " for it to write in");
					}
					catch (IOException ex) {
						throw new ImsgIoException("imsg process '" + this.name + "': cannot create " + dir
								+ ", which its sandbox lets it write in: " + ex, ex);
					}
				}
			}
		}

		/**
		 * @return the last child started (it may have exited since), if any
		 */
		public @Nullable ImsgChildProcess current() {
			synchronized (this.live) {
				return this.current;
			}
		}

		/**
		 * @return whether a child it started is running now (started and not yet reaped)
		 */
		public boolean running() {
			synchronized (this.live) {
				return !this.live.isEmpty();
			}
		}

		/**
		 * @return how the last child ended, or {@code null} while it runs or when none was started
		 */
		public @Nullable ChildExit lastExit() {
			ImsgChildProcess c = current();
			return (c != null) ? c.exit().getNow(null) : null;
		}

		@Override
		public String describe() {
			ImsgChildProcess c = current();
			return "child process '" + this.name + "' (" + this.spec.command().get(0) + ((c != null) ? ", pid " + c.pid() : "")
					+ ")";
		}

		@Override
		public boolean keepsApplicationAlive() {
			return true;
		}

		/** Stops and reaps every child started and not yet reaped; returns once they are. */
		@Override
		public void stop(Duration grace) {
			List<ImsgChildProcess> children;
			synchronized (this.live) {
				children = new ArrayList<>(this.live);
				this.stopping.addAll(children);
			}
			for (ImsgChildProcess c : children) {
				LOG.info("imsg process '" + this.name + "' (pid " + c.pid() + ") stopping: " + c.stop(grace));
			}
		}
	}
}
