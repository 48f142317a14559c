package io.github.imsg4j.spring;

/**
 * An {@link ImsgHandler} method the application cannot start with: two handlers for one type, a parameter no
 * resolver supports, a reply type without a payload to send, an endpoint name that is not configured. The message
 * names the method and what would be valid; Spring Boot prints it as a start-up failure report.
 */
public class ImsgHandlerDefinitionException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message the method and what is wrong with it
	 */
	public ImsgHandlerDefinitionException(String message) {
		super(message);
	}

	/**
	 * @param message the method and what is wrong with it
	 * @param cause the underlying failure
	 */
	public ImsgHandlerDefinitionException(String message, Throwable cause) {
		super(message, cause);
	}
}
