package io.github.imsg4j.core;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Bounds the log lines peers can cause, so that a peer cannot fill the disk or drown other records: every
 * connection gets {@link #perConnection()} lines at their own level, the rest go to debug; and all connections
 * sharing a limiter (a server, an endpoint) get at most {@link #perSecond()} lines a second between them, with
 * bursts of {@link #burst()}. Lines over the aggregate limit are dropped and counted; the next line that passes
 * says how many were dropped. Thread-safe and lock-free.
 */
public final class PeerLogLimiter {

	private static final PeerLogLimiter SHARED = new PeerLogLimiter(10, 20, 100);

	private static final long SECOND = 1_000_000_000L;

	private final int perConnection;

	private final int perSecond;

	private final int burst;

	/** The bucket as GCRA keeps it: the theoretical arrival time of the next line, in {@link System#nanoTime()} terms. */
	private final AtomicLong arrival = new AtomicLong(System.nanoTime());

	private final AtomicLong dropped = new AtomicLong();

	/**
	 * @param perConnection lines per connection at their own level before the rest go to debug; at least 1
	 * @param perSecond lines per second across every connection sharing this limiter; at least 1
	 * @param burst lines that may come at once before the rate applies; at least 1
	 */
	public PeerLogLimiter(int perConnection, int perSecond, int burst) {
		if (perConnection < 1 || perSecond < 1 || burst < 1) {
			throw new IllegalArgumentException("log limits must be at least 1, got per connection " + perConnection
					+ ", per second " + perSecond + ", burst " + burst);
		}
		this.perConnection = perConnection;
		this.perSecond = perSecond;
		this.burst = burst;
	}

	/**
	 * The limiter the core uses for peers of channels and servers that have no limiter of their own: 10 lines
	 * per connection, 20 a second in all, bursts of 100.
	 *
	 * @return the process-wide limiter
	 */
	public static PeerLogLimiter shared() {
		return SHARED;
	}

	/**
	 * @return lines per connection at their own level
	 */
	public int perConnection() {
		return this.perConnection;
	}

	/**
	 * @return lines per second in all
	 */
	public int perSecond() {
		return this.perSecond;
	}

	/**
	 * @return the burst allowed before the rate applies
	 */
	public int burst() {
		return this.burst;
	}

	/**
	 * @return lines dropped since this limiter was made
	 */
	public long droppedCount() {
		return this.dropped.get();
	}

	/**
	 * A counter for one connection's lines.
	 *
	 * @return a new per-connection counter drawing on this limiter
	 */
	public Connection connection() {
		return new Connection();
	}

	/** Takes one line from the aggregate bucket; {@code false} when it is empty (GCRA, as a token bucket). */
	private boolean acquire() {
		long interval = SECOND / this.perSecond;
		long tolerance = interval * (this.burst - 1);
		while (true) {
			long now = System.nanoTime();
			long stored = this.arrival.get();
			long due = (stored - now > 0) ? stored : now;
			if (due - now > tolerance) {
				this.dropped.incrementAndGet();
				return false;
			}
			if (this.arrival.compareAndSet(stored, due + interval)) {
				return true;
			}
		}
	}

	/** What a connection may log now. */
	public enum Verdict {
		/** At the line's own level. */
		LOG,
		/** At debug level only: this connection used its share. */
		DEBUG,
		/** Not at all: every connection together is over the rate. */
		DROP
	}

	/** The lines of one connection. Thread-safe. */
	public final class Connection {

		private final AtomicInteger lines = new AtomicInteger();

		private Connection() {
		}

		/**
		 * Counts a line and says how it may be logged.
		 *
		 * @return the verdict for this line
		 */
		public Verdict next() {
			if (!acquire()) {
				return Verdict.DROP;
			}
			return (this.lines.incrementAndGet() <= PeerLogLimiter.this.perConnection) ? Verdict.LOG : Verdict.DEBUG;
		}

		/**
		 * Logs {@code message} through {@code log} as {@link #next()} says, noting when this connection's share
		 * runs out and how many lines the aggregate limit dropped before it.
		 *
		 * @param log the logger
		 * @param level the line's own level
		 * @param message the line, built only if it is logged
		 * @param error a throwable to attach at debug level only (peer-caused failures get no stack trace
		 *        above debug), or {@code null}
		 */
		public void log(System.Logger log, System.Logger.Level level, Supplier<String> message,
				@Nullable Throwable error) {
			try {
				Verdict v = next();
				if (v == Verdict.DROP) {
					return;
				}
				System.Logger.Level at = (v == Verdict.LOG) ? level : System.Logger.Level.DEBUG;
				if (!log.isLoggable(at)) {
					return;
				}
				String line = decorate(message.get(), v);
				if (error != null && log.isLoggable(System.Logger.Level.DEBUG)) {
					log.log(at, line, error);
				}
				else {
					log.log(at, line);
				}
			}
			catch (Throwable loggingFailed) {
				// logging must never end the calling thread (see internal.SafeLog)
			}
		}

		/**
		 * Adds to a line that passed what a reader needs: that this connection's further lines go to debug,
		 * and how many lines were dropped before it.
		 *
		 * @param line the line
		 * @param verdict its verdict from {@link #next()}
		 * @return the line to log
		 */
		public String decorate(String line, Verdict verdict) {
			String out = line;
			if (verdict == Verdict.LOG && this.lines.get() == PeerLogLimiter.this.perConnection) {
				out += " (further lines about this connection go to debug level)";
			}
			long lost = PeerLogLimiter.this.dropped.getAndSet(0);
			if (lost > 0) {
				out += " (" + lost + " lines about peers dropped before this one: over "
						+ PeerLogLimiter.this.perSecond + " a second)";
			}
			return out;
		}
	}

	/**
	 * Makes a string a peer chose safe to put in one log line: control characters (newlines among them, which
	 * could forge a record) and non-ASCII are written as escapes, and it is cut at {@code max} characters.
	 *
	 * @param peerText the text
	 * @param max the most characters kept before escaping
	 * @return the escaped text, quoted
	 */
	public static String escape(CharSequence peerText, int max) {
		StringBuilder out = new StringBuilder(Math.min(peerText.length(), max) + 2).append('"');
		int n = Math.min(peerText.length(), max);
		for (int i = 0; i < n; i++) {
			char c = peerText.charAt(i);
			if (c == '"' || c == '\\') {
				out.append('\\').append(c);
			}
			else if (c >= 0x20 && c < 0x7f) {
				out.append(c);
			}
			else if (c == '\n') {
				out.append("\\n");
			}
			else {
				out.append(String.format("\\u%04x", (int) c));
			}
		}
		out.append('"');
		if (peerText.length() > max) {
			out.append("...(").append(peerText.length() - max).append(" more)");
		}
		return out.toString();
	}
}
