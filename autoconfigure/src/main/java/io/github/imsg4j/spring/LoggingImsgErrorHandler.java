package io.github.imsg4j.spring;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgPayloadException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The default {@link ImsgErrorHandler}: logs and keeps the connection up. Every line counts against the
 * peer's share of the log (see {@link io.github.imsg4j.core.PeerLogLimiter}): a peer that makes every message
 * fail cannot flood it. A payload that does not fit the handler's declared type, and a reply that could not be
 * sent ({@link ImsgReplyException}: the peer closed, or does not read), are the peer's doing and logged in one
 * line, with the stack trace only at debug level. A handler that failed on an imsg4j error of its own (its
 * {@link ImsgTemplate} call to another daemon, say) is logged in one line naming that failure and saying that the
 * caller got no reply; anything else with its stack trace. To answer the caller instead, declare an
 * {@link ImsgErrorHandler} that sends an error reply through the session (the guide, "Handler errors").
 */
public class LoggingImsgErrorHandler implements ImsgErrorHandler {

	private static final Log LOG = LogFactory.getLog(LoggingImsgErrorHandler.class);

	@Override
	public Action handleError(ImsgSession session, Imsg message, Throwable error) {
		if (error instanceof ImsgPayloadException) {
			session.warn(LOG, "Rejected " + message + " on " + session + ": " + error.getMessage());
		}
		else if (error instanceof ImsgReplyException) {
			session.warn(LOG, "Reply to " + message + " on " + session + " not sent: " + error.getMessage(), error);
		}
		else if (error instanceof ImsgException) {
			session.warn(LOG, "Handler for " + message + " on " + session + " failed: " + error.getMessage()
					+ "; the caller got no reply", error);
		}
		else {
			session.warnWithTrace(LOG, "Handler failed on " + message + " on " + session, error);
		}
		return Action.CONTINUE;
	}
}
