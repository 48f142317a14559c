package io.github.imsg4j.spring;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * What was logged during a test, for tests that assert on log lines without printing them: the extension
 * ({@code @ExtendWith(CapturedLogs.class)}) resolves a {@code CapturedLogs} parameter, and
 * {@link Appender} (named in src/test/resources/logback-test.xml) records lines only while a test runs with it.
 * The buffer is static because Spring Boot rebuilds the logging configuration (and the appender) whenever a
 * {@code SpringApplication} starts inside a test.
 */
public final class CapturedLogs implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

	private static final StringBuffer LINES = new StringBuffer();

	private static volatile boolean capturing;

	/** @return every line logged since the test started, stack traces included */
	public String getAll() {
		return LINES.toString();
	}

	@Override
	public String toString() {
		return getAll();
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		LINES.setLength(0);
		capturing = true;
	}

	@Override
	public void afterEach(ExtensionContext context) {
		capturing = false;
		LINES.setLength(0);
	}

	@Override
	public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
		return parameter.getParameter().getType() == CapturedLogs.class;
	}

	@Override
	public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
		return this;
	}

	/** Formats each event as the console would and keeps it while a test captures. */
	public static final class Appender extends AppenderBase<ILoggingEvent> {

		private final PatternLayout layout = new PatternLayout();

		@Override
		public void start() {
			this.layout.setContext(getContext());
			this.layout.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} : %msg%n");
			this.layout.start();
			super.start();
		}

		@Override
		protected void append(ILoggingEvent event) {
			if (capturing) {
				LINES.append(this.layout.doLayout(event));
			}
		}
	}
}
