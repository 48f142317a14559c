package io.github.imsg4j.core;

/**
 * A file descriptor was asked of a message that has none to give: it claimed none, the one it claimed never
 * arrived ({@code imsg_get_fd()} returning -1), or it was already taken or closed.
 */
public class ImsgFdException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message what was wrong and where
	 */
	public ImsgFdException(String message) {
		super(message);
	}

	/**
	 * Creates the exception with its cause.
	 *
	 * @param message what was wrong and where
	 * @param cause the underlying failure
	 */
	public ImsgFdException(String message, Throwable cause) {
		super(message, cause);
	}
}
