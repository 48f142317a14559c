package io.github.imsg4j.core.internal;

import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Logging from event-loop threads that cannot itself kill the loop. Found the hard way: out of descriptors,
 * the first log record made {@code java.util.logging} load the time-zone database, which failed with an
 * {@code Error} inside the loop's own error handler and ended the thread, silently stopping every connection
 * on it. Whatever logging throws is swallowed here; the loop goes on.
 */
public final class SafeLog {

	private SafeLog() {
	}

	/**
	 * @param log the logger
	 * @param level the level
	 * @param message the message, built only if the level is enabled
	 * @param error the throwable to attach, or {@code null}
	 */
	public static void log(System.Logger log, System.Logger.Level level, Supplier<String> message,
			@Nullable Throwable error) {
		try {
			if (!log.isLoggable(level)) {
				return;
			}
			if (error != null) {
				log.log(level, message.get(), error);
			}
			else {
				log.log(level, message.get());
			}
		}
		catch (Throwable loggingFailed) {
			// nothing sensible is left to do with it; above all, do not let it end the calling thread
		}
	}
}
