package io.github.imsg4j.spring;

import io.github.imsg4j.core.ImsgException;

/**
 * No awaited reply came in time ({@link ImsgSession#request}, {@link ImsgTemplate#sendAndReceive}). The request
 * was sent; the connection stays open, and a reply that comes later goes to the handlers as any message does.
 */
public class ImsgReplyTimeoutException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what was awaited, where, and for how long
	 */
	public ImsgReplyTimeoutException(String message) {
		super(message);
	}
}
