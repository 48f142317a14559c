package io.github.imsg4j.core;

/**
 * The peer broke the imsg protocol: a header whose {@code len} is below the header size or above the
 * channel's maximum, or a connection that ended in the middle of a message. The connection it happened on
 * is closed; no other connection is affected.
 */
public class ImsgProtocolException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgProtocolException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgProtocolException(String message, Throwable cause) {
		super(message, cause);
	}
}
