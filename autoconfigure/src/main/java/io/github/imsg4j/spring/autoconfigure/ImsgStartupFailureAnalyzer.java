package io.github.imsg4j.spring.autoconfigure;

import io.github.imsg4j.core.ImsgSocketLayerException;
import io.github.imsg4j.core.ImsgUnsafeDirectoryException;
import io.github.imsg4j.spring.ImsgHandlerDefinitionException;
import io.github.imsg4j.spring.ImsgStartException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints a wrong {@code @ImsgHandler} method as a start-up failure report: which method, and the fix. */
class ImsgStartupFailureAnalyzer extends AbstractFailureAnalyzer<ImsgHandlerDefinitionException> {

	/** An endpoint that could not listen: which one, which property, why. */
	static final class Listen extends AbstractFailureAnalyzer<ImsgStartException> {

		@Override
		protected FailureAnalysis analyze(Throwable rootFailure, ImsgStartException cause) {
			if (cause.getCause() instanceof ImsgUnsafeDirectoryException) {
				String checkOff = cause.property().replaceFirst("\\.[^.]+$", ".socket-directory-check");
				return new FailureAnalysis(cause.getMessage(), "Change " + cause.property() + " to a path in a directory "
						+ "only this user (or root) can write in, such as a directory of its own under /run made with "
						+ "mode 0700; or, if every user who can write in that directory is trusted, set " + checkOff
						+ "=false.", cause);
			}
			return new FailureAnalysis(cause.getMessage(), "Change " + cause.property()
					+ ", or stop what holds that path (a daemon still running, a file that is not its socket).", cause);
		}
	}

	/** {@code imsg4j.transport} asks for a socket layer this process cannot have. */
	static final class SocketLayer extends AbstractFailureAnalyzer<ImsgSocketLayerException> {

		@Override
		protected FailureAnalysis analyze(Throwable rootFailure, ImsgSocketLayerException cause) {
			return new FailureAnalysis("imsg cannot start: " + cause.getMessage(),
					"Remove the system property imsg4j.transport (each Java version then gets the best layer it can "
							+ "have), or run on Java 22 or later with an imsg4j-core built on a machine with a JDK >= 22.",
					cause);
		}
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ImsgHandlerDefinitionException cause) {
		return new FailureAnalysis("An @ImsgHandler method cannot be used:\n\n    " + cause.getMessage(),
				"Change the method as the message says (the imsg4j guide's Handlers section lists the parameter and "
						+ "return types, and how types are routed per endpoint).",
				cause);
	}
}
