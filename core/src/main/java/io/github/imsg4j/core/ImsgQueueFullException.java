package io.github.imsg4j.core;

/**
 * A channel's write queue is at its limit and the caller chose not to wait (or its wait ran out).
 */
public class ImsgQueueFullException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgQueueFullException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgQueueFullException(String message, Throwable cause) {
		super(message, cause);
	}
}
