package io.github.imsg4j.spring;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgPayloadException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The default {@link ImsgErrorHandler}: logs and keeps the connection up. A payload that does not fit the
 * handler's declared type is logged in one line (it is the peer's mistake, not ours); anything else with its
 * stack trace.
 */
public class LoggingImsgErrorHandler implements ImsgErrorHandler {

	private static final Log LOG = LogFactory.getLog(LoggingImsgErrorHandler.class);

	@Override
	public Action handleError(ImsgSession session, Imsg message, Throwable error) {
		if (error instanceof ImsgPayloadException) {
			session.warn(LOG, "Rejected " + message + " on " + session + ": " + error.getMessage());
		}
		else {
			LOG.warn("Handler failed on " + message + " on " + session, error);
		}
		return Action.CONTINUE;
	}
}
