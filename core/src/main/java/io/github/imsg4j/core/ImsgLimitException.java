package io.github.imsg4j.core;

/**
 * A connection went over a limit that protects the process and its other connections: the shared
 * {@link ImsgBudget}, or a peer that does not read its replies while the process may not wait for it. The
 * connection that went over is closed with this as its cause.
 */
public class ImsgLimitException extends ImsgQueueFullException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 *
	 * @param message which limit, and by how much
	 */
	public ImsgLimitException(String message) {
		super(message);
	}
}
