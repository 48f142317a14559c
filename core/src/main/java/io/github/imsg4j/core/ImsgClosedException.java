package io.github.imsg4j.core;

/**
 * The channel is closed, by this side or by the peer; the cause, if any, says why.
 */
public class ImsgClosedException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgClosedException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgClosedException(String message, Throwable cause) {
		super(message, cause);
	}
}
