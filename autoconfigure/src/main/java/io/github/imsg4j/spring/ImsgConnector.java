package io.github.imsg4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.ImsgListener;
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
	 * Releases what the connector holds when the application stops (a child process is stopped and reaped).
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
		return new ChildConnector(name, spec);
	}

	/** Starts the child on each connect and keeps the running one to stop it. */
	final class ChildConnector implements ImsgConnector {

		private static final Log LOG = LogFactory.getLog(ChildConnector.class);

		private final String name;

		private final ImsgChildProcess.Spec spec;

		private final AtomicReference<@Nullable ImsgChildProcess> running = new AtomicReference<>();

		ChildConnector(String name, ImsgChildProcess.Spec spec) {
			this.name = name;
			this.spec = spec;
		}

		@Override
		public ImsgChannel open(ChannelOptions options, ImsgListener listener) {
			ImsgChildProcess child = ImsgChildProcess.start(this.spec, options, listener);
			this.running.set(child);
			LOG.info("imsg process '" + this.name + "' started: pid " + child.pid() + ", " + this.spec.command().get(0) + " ("
					+ ImsgChildProcess.mechanism() + ")");
			child.exit().whenComplete((exit, ex) -> {
				String how = (exit != null) ? exit.toString() : "could not be reaped: " + ex;
				if (exit != null && exit.success()) {
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
		 * @return the running child, if any
		 */
		public @Nullable ImsgChildProcess current() {
			return this.running.get();
		}

		@Override
		public String describe() {
			ImsgChildProcess c = this.running.get();
			return "child process '" + this.name + "' (" + this.spec.command().get(0) + ((c != null) ? ", pid " + c.pid() : "")
					+ ")";
		}

		@Override
		public boolean keepsApplicationAlive() {
			return true;
		}

		@Override
		public void stop(Duration grace) {
			ImsgChildProcess c = this.running.getAndSet(null);
			if (c != null) {
				LOG.info("imsg process '" + this.name + "' (pid " + c.pid() + ") stopping: " + c.stop(grace));
			}
		}
	}
}
