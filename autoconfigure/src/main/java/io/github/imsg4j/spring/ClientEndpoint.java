package io.github.imsg4j.spring;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ChildExit;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.ImsgClosedException;
import io.github.imsg4j.core.ImsgException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * A running outbound connection (to a daemon's socket, over a socket the parent left this process, or to a
 * child process it starts: see {@link ImsgConnector}): connects at start, reconnects (or restarts the child)
 * with exponential back-off when the connection goes away, and hands out its current session. Messages the
 * peer sends are routed to handlers like an endpoint's, under the client's name.
 */
public final class ClientEndpoint {

	private static final Log LOG = LogFactory.getLog(ClientEndpoint.class);

	private final String name;

	private final ImsgConnector connector;

	private final Duration stopGrace;

	private final ChannelOptions options;

	private final Duration connectTimeout;

	private final @Nullable Backoff backoff;

	private final UnhandledMessagePolicy unhandled;

	private final SessionContext context;

	/** For a child process: what losing it means; {@code null} for a connection to a socket. */
	private final @Nullable Supervision supervision;

	/** When this application stops because of this endpoint; set at {@link #start}. */
	private @Nullable ImsgFatalHandler fatal;

	/** When the last starts of a supervised child were, oldest first; guarded by {@link #lock}. */
	private final java.util.ArrayDeque<Long> starts = new java.util.ArrayDeque<>();

	private final Object lock = new Object();

	/** Completes with the session once connected; replaced by a fresh one when the connection is lost. */
	private CompletableFuture<ImsgSession> current = new CompletableFuture<>();

	private volatile boolean stopped;

	private @Nullable ScheduledExecutorService scheduler;

	/**
	 * The wait before the next attempt. Written by the loop (a connection made or lost) and by the scheduler's
	 * thread (a failed attempt): guarded by {@link #lock}.
	 */
	private long nextDelayNanos;

	private volatile @Nullable String lastError;

	/** When a reconnect failure was last logged at WARN: after the first, at most one a minute. */
	private long lastWarnNanos;

	private boolean warnedSinceConnected;

	private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

	ClientEndpoint(String name, ImsgConnector connector, ChannelOptions options, Duration connectTimeout,
			@Nullable Backoff backoff, Duration stopGrace, UnhandledMessagePolicy unhandled, SessionContext context,
			@Nullable Supervision supervision) {
		this.name = name;
		this.supervision = supervision;
		this.connector = connector;
		this.stopGrace = stopGrace;
		this.options = options;
		this.connectTimeout = connectTimeout;
		this.backoff = connector.reconnectable() ? backoff : null;
		this.unhandled = unhandled;
		this.context = context;
	}

	/**
	 * Exponential back-off between attempts.
	 *
	 * @param initial first wait
	 * @param max longest wait
	 * @param multiplier growth per failure
	 */
	public record Backoff(Duration initial, Duration max, double multiplier) {
	}

	/**
	 * How a child process is supervised, as systemd's {@code Restart=} and {@code StartLimitBurst=} within
	 * {@code StartLimitIntervalSec=}: a child is started at most {@code startLimitBurst} times within
	 * {@code startLimitInterval}; one more start is refused and the application stops.
	 *
	 * @param onExit what losing it means
	 * @param startLimitBurst starts allowed within the interval, at least 1
	 * @param startLimitInterval the interval
	 */
	public record Supervision(ProcessExitPolicy onExit, int startLimitBurst, Duration startLimitInterval) {
	}

	/**
	 * @return the client's name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * @return what it connects to: a socket path, the parent process, a child process
	 */
	public String target() {
		return this.connector.describe();
	}

	/**
	 * @return how it connects
	 */
	public ImsgConnector connector() {
		return this.connector;
	}

	/**
	 * @return whether it is not connected but will try again (reconnect or restart with back-off)
	 */
	public boolean isReconnecting() {
		return !isConnected() && this.backoff != null && !this.stopped;
	}

	/**
	 * @return why the last attempt failed or the connection was lost, or {@code null}
	 */
	public @Nullable String lastError() {
		return this.lastError;
	}

	/**
	 * @return whether a connection is up now
	 */
	public boolean isConnected() {
		ImsgSession s = sessionIfConnected();
		return s != null && s.isOpen();
	}

	/**
	 * The connected session, waiting up to the connect timeout for a connection (re)establishing.
	 *
	 * @return the session
	 * @throws ImsgClosedException when there is no connection within the connect timeout
	 */
	public ImsgSession session() {
		long deadline = System.nanoTime() + this.connectTimeout.toNanos();
		try {
			while (true) {
				CompletableFuture<ImsgSession> f;
				synchronized (this.lock) {
					f = this.current;
				}
				ImsgSession s = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				if (s.isOpen()) {
					return s;
				}
				// Closed, and its loss not yet seen by lost(): wait for the next connection.
				synchronized (this.lock) {
					while (this.current == f) {
						long left = deadline - System.nanoTime();
						if (left <= 0) {
							throw new TimeoutException();
						}
						TimeUnit.NANOSECONDS.timedWait(this.lock, left);
					}
				}
			}
		}
		catch (TimeoutException | ExecutionException ex) {
			throw new ImsgClosedException(kind() + " is not connected to " + target()
					+ " (waited " + this.connectTimeout + "; last error: " + this.lastError + ")");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new ImsgClosedException("interrupted waiting for imsg client '" + this.name + "'");
		}
	}

	void start(ScheduledExecutorService executor, ImsgFatalHandler fatal) {
		this.scheduler = executor;
		this.fatal = fatal;
		resetDelay();
		if (!connect()) {
			if (this.supervision != null) {
				// A child that cannot even be started at the application's start is a mistake in its configuration
				// (a command that does not exist, say): retrying would leave an application that serves nothing.
				this.connector.stop(this.stopGrace);
				throw new ImsgClosedException(kind() + " cannot be started: " + this.lastError);
			}
			if (this.backoff == null) {
				throw new ImsgClosedException(kind() + " cannot connect to " + target() + ": " + this.lastError
						+ " (reconnect is disabled, so start-up fails)");
			}
		}
	}

	/** How logs name it: a child process, or a client of a socket. */
	private String kind() {
		return ((this.supervision != null) ? "imsg process '" : "imsg client '") + this.name + "'";
	}

	private boolean connect() {
		if (this.stopped) {
			return false;
		}
		Supervision sup = this.supervision;
		if (sup != null && !admitStart(sup)) {
			fail(kind() + " was started " + sup.startLimitBurst() + " times within " + sup.startLimitInterval()
					+ " (its start limit)" + lastExitNote() + "; giving up and stopping the application");
			return false;
		}
		try {
			this.connector.open(this.options, new SessionListener(this.name, this.context, this.unhandled, true,
					this::connected, this::lost));
			return true;
		}
		catch (ImsgException ex) {
			this.lastError = ex.getMessage();
			warnOrDebug(kind() + ": " + ex.getMessage() + retryNote());
			scheduleReconnect();
			return false;
		}
	}

	/** A down daemon must not log a WARN per retry: the first, then at most one a minute, the rest at debug. */
	private void warnOrDebug(String line) {
		long now = System.nanoTime();
		boolean warn;
		synchronized (this.lock) {
			warn = !this.warnedSinceConnected || now - this.lastWarnNanos >= WARN_EVERY_NANOS;
			if (warn) {
				this.warnedSinceConnected = true;
				this.lastWarnNanos = now;
			}
		}
		if (warn) {
			LOG.warn(line + ((this.backoff != null) ? " (further failures at debug level, one a minute at warn)" : ""));
		}
		else if (LOG.isDebugEnabled()) {
			LOG.debug(line);
		}
	}

	private String retryNote() {
		long delay;
		synchronized (this.lock) {
			delay = this.nextDelayNanos;
		}
		return (this.backoff != null && !this.stopped) ? "; retrying in " + Duration.ofNanos(delay).toMillis() + " ms"
				: "";
	}

	private void resetDelay() {
		Backoff b = this.backoff;
		synchronized (this.lock) {
			this.nextDelayNanos = (b != null) ? b.initial().toNanos() : 0;
		}
	}

	private void connected(ImsgSession session) {
		resetDelay();
		LOG.info(kind() + " connected to " + target());
		synchronized (this.lock) {
			this.warnedSinceConnected = false;
			if (!this.current.complete(session)) {
				this.current = CompletableFuture.completedFuture(session);
			}
		}
		if (this.stopped) {
			session.close();
		}
	}

	private void lost(@Nullable ImsgSession session) {
		synchronized (this.lock) {
			if (this.current.isDone()) {
				this.current = new CompletableFuture<>();
			}
			this.lock.notifyAll();
		}
		if (this.stopped) {
			return;
		}
		ScheduledExecutorService s = this.scheduler;
		if (this.supervision != null && s != null) {
			// Whatever ended the connection (the child's exit, its protocol error, our close), the child is stopped
			// and reaped before anything else: a worker that ignores the hang-up must not outlive our interest in
			// it. Off the loop, which calls this: stopping waits up to the grace period.
			s.execute(this::childLost);
			return;
		}
		this.lastError = "connection lost";
		if (!this.connector.reconnectable()) {
			// a socket inherited once (a worker's to its parent): its end is the parent's stop, or the parent's loss,
			// which the application handles (the demo's worker exits); nothing to retry, no warning to give
			LOG.info(kind() + " lost its connection to " + target() + "; it cannot be made again");
			return;
		}
		warnOrDebug(kind() + " lost its connection to " + target() + retryNote());
		scheduleReconnect();
	}

	/** On the scheduler, after a child's connection ended: stop and reap it, then restart or stop the application. */
	private void childLost() {
		Supervision sup = this.supervision;
		if (sup == null || this.stopped) {
			return;
		}
		try {
			this.connector.stop(this.stopGrace);
		}
		catch (ImsgException ex) {
			LOG.error(kind() + ": " + ex.getMessage());
		}
		this.lastError = "process ended" + lastExitNote();
		if (this.stopped || shuttingDown()) {
			return; // the application is stopping (a Ctrl-C reaches every process of the terminal's group at once)
		}
		if (sup.onExit() == ProcessExitPolicy.EXIT) {
			fail(kind() + " ended" + lastExitNote() + ", and its on-exit policy is exit: stopping the application");
			return;
		}
		warnOrDebug(kind() + " ended" + lastExitNote() + "; restarting" + retryNote());
		scheduleReconnect();
	}

	/** Whether this JVM is running its shutdown hooks: a hook can no longer be added then. */
	private static boolean shuttingDown() {
		try {
			Thread probe = new Thread(() -> {
			});
			Runtime.getRuntime().addShutdownHook(probe);
			Runtime.getRuntime().removeShutdownHook(probe);
			return false;
		}
		catch (IllegalStateException ex) {
			return true;
		}
	}

	private String lastOutputNote() {
		ImsgChildProcess child = (this.connector instanceof ImsgConnector.ChildConnector c) ? c.current() : null;
		List<String> lines = (child != null) ? child.lastOutput() : List.of();
		return lines.isEmpty() ? "" : "; its last output:\n    " + String.join("\n    ", lines);
	}

	private String lastExitNote() {
		ChildExit exit = (this.connector instanceof ImsgConnector.ChildConnector c) ? c.lastExit() : null;
		return (exit != null) ? " (" + exit + ")" : "";
	}

	/** Counts a start against the start limit; {@code false} when the limit is reached. */
	private boolean admitStart(Supervision sup) {
		long now = System.nanoTime();
		synchronized (this.lock) {
			while (!this.starts.isEmpty() && now - this.starts.peekFirst() > sup.startLimitInterval().toNanos()) {
				this.starts.removeFirst();
			}
			if (this.starts.size() >= sup.startLimitBurst()) {
				return false;
			}
			this.starts.addLast(now);
			return true;
		}
	}

	/** The application cannot go on: said once, at ERROR (with what the child last wrote), then the fatal handler decides. */
	private void fail(String why) {
		String report = why + lastOutputNote();
		this.lastError = why;
		stop();
		LOG.error(report);
		ImsgFatalHandler f = this.fatal;
		if (f != null) {
			f.fatal(report);
		}
	}

	private void scheduleReconnect() {
		Backoff b = this.backoff;
		ScheduledExecutorService s = this.scheduler;
		if (b == null || s == null || this.stopped) {
			return;
		}
		long delay;
		synchronized (this.lock) {
			delay = this.nextDelayNanos;
			this.nextDelayNanos = Math.min(b.max().toNanos(), (long) (delay * b.multiplier()));
		}
		s.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
	}

	/** Session, if connected, for a graceful stop. */
	@Nullable ImsgSession sessionIfConnected() {
		CompletableFuture<ImsgSession> f;
		synchronized (this.lock) {
			f = this.current;
		}
		return (f.isDone() && !f.isCompletedExceptionally()) ? f.join() : null;
	}

	/**
	 * @return for a child process, how it is supervised; {@code null} for a client of a socket
	 */
	public @Nullable Supervision supervision() {
		return this.supervision;
	}

	/** After the graceful stop closed the sessions: a child process gets SIGTERM, SIGKILL after the grace, is reaped. */
	void terminate() {
		this.connector.stop(this.stopGrace);
	}

	void stop() {
		this.stopped = true;
		synchronized (this.lock) {
			this.current.completeExceptionally(new ImsgClosedException(kind() + " stopped"));
		}
	}
}
