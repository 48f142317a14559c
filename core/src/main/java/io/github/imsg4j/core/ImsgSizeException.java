package io.github.imsg4j.core;

/**
 * A message would exceed its channel's maximum size ({@code ERANGE} in C), or a maximum size is out of
 * range for its wire format.
 */
public class ImsgSizeException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgSizeException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgSizeException(String message, Throwable cause) {
		super(message, cause);
	}
}
