package io.github.imsg4j.spring;

/**
 * An endpoint could not start listening: a live daemon holds its path, a file that is not a socket is there, its
 * directory is unsafe, the process was not socket-activated. The message names the endpoint, the property and
 * its value, and the reason; Spring Boot prints it as a start-up failure report.
 */
public class ImsgStartException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	private final String endpoint;

	private final String property;

	/**
	 * @param endpoint the endpoint's name
	 * @param property the property under {@code imsg.endpoints.<name>.} that decides it ({@code path}, {@code activated})
	 * @param value that property's value
	 * @param cause why it could not listen
	 */
	public ImsgStartException(String endpoint, String property, Object value, Throwable cause) {
		super("imsg endpoint '" + endpoint + "' cannot listen (imsg.endpoints." + endpoint + "." + property + " = " + value
				+ "): " + cause.getMessage(), cause);
		this.endpoint = endpoint;
		this.property = "imsg.endpoints." + endpoint + "." + property;
	}

	/**
	 * @return the endpoint's name
	 */
	public String endpoint() {
		return this.endpoint;
	}

	/**
	 * @return the full name of the property that decides it
	 */
	public String property() {
		return this.property;
	}
}
