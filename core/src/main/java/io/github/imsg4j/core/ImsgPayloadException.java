package io.github.imsg4j.core;

/**
 * A payload did not have the shape the reader asked for: too few bytes left, a length other than the exact
 * one expected ({@code imsg_get_data}'s {@code EBADMSG}), or a string without its terminating NUL.
 */
public class ImsgPayloadException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgPayloadException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgPayloadException(String message, Throwable cause) {
		super(message, cause);
	}
}
