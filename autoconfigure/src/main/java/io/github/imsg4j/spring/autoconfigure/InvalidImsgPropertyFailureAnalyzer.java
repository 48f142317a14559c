package io.github.imsg4j.spring.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints a wrong {@code imsg.*} value as a start-up failure report: the property, the value, the fix. */
class InvalidImsgPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidImsgPropertyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidImsgPropertyException cause) {
		return new FailureAnalysis(
				"Property: " + cause.getProperty() + "\n    Value: "
						+ ((cause.getValue() == null) ? "(none)" : cause.getValue()) + "\n    Reason: expected "
						+ cause.getValid(),
				"Update your application's configuration: set " + cause.getProperty() + " to " + cause.getValid() + ".",
				cause);
	}
}
