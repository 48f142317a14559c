package io.github.imsg4j.core;

/**
 * Root of every exception imsg4j throws. Unchecked, as Spring's exceptions are: the message says what was
 * wrong and where (connection, message type, offending header fields).
 */
public class ImsgException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgException(String message, Throwable cause) {
		super(message, cause);
	}
}
