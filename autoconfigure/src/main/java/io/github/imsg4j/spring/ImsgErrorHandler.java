package io.github.imsg4j.spring;

import io.github.imsg4j.core.Imsg;

/**
 * Decides what happens when a handler method throws (or its future fails), or a message cannot be turned into
 * the handler's arguments. Declare a bean to replace the default, which logs the failure with the connection,
 * the peer and the message type, and keeps the connection up.
 */
@FunctionalInterface
public interface ImsgErrorHandler {

	/**
	 * @param session the connection the message came on
	 * @param message the message being handled (closed after this returns)
	 * @param error what went wrong
	 * @return whether the connection stays up
	 */
	Action handleError(ImsgSession session, Imsg message, Throwable error);

	/** What to do with the connection after an error. */
	enum Action {
		/** Keep serving the connection. */
		CONTINUE,
		/** Close the connection after writing what is queued. */
		CLOSE
	}
}
