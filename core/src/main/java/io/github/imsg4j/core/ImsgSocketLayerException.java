package io.github.imsg4j.core;

/**
 * The socket layer {@code imsg4j.transport} asks for cannot be had in this process (the FFM layer on Java 17, or
 * from an imsg4j-core built without its Java 22 classes): the message says which and why.
 */
public class ImsgSocketLayerException extends ImsgException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message which layer was asked for, and why it cannot be had
	 */
	public ImsgSocketLayerException(String message) {
		super(message);
	}
}
