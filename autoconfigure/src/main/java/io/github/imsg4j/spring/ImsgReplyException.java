package io.github.imsg4j.spring;

import io.github.imsg4j.core.ImsgException;

/**
 * What a handler returned could not be sent back to the peer that asked: the peer closed, does not read, or the
 * value does not encode. The {@link ImsgErrorHandler} gets this, with the cause, to tell it apart from a failure of
 * the handler itself (its own {@link ImsgTemplate} call to another daemon, say).
 */
public class ImsgReplyException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message what could not be sent, and why
	 * @param cause the failure
	 */
	public ImsgReplyException(String message, Throwable cause) {
		super(message, cause);
	}
}
