package io.github.imsg4j.core;

/**
 * An operating-system error on a socket (connect, bind, accept, read, write), wrapped with the channel or
 * path it concerns.
 */
public class ImsgIoException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgIoException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgIoException(String message, Throwable cause) {
		super(message, cause);
	}
}
