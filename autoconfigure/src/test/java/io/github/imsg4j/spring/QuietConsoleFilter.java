package io.github.imsg4j.spring;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * The test console's filter (src/test/resources/logback-test.xml): in surefire's JVM (which sets
 * {@code imsg4j.test.log-file}) nothing logged reaches the build's console, so that the suite's deliberate
 * warnings and errors (hostile peers, refused credentials, handlers that throw, workers that die on purpose)
 * stay in the log file and in {@link CapturedLogs}; a failing test shows its own assertion in surefire's report.
 * Elsewhere (a child JVM a test started from this class path, whose output the test reads) everything passes.
 */
public final class QuietConsoleFilter extends Filter<ILoggingEvent> {

	private static final boolean QUIET = System.getProperty("imsg4j.test.log-file") != null;

	@Override
	public FilterReply decide(ILoggingEvent event) {
		return QUIET ? FilterReply.DENY : FilterReply.NEUTRAL;
	}
}
