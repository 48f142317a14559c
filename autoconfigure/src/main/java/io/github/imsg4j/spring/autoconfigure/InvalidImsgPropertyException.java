package io.github.imsg4j.spring.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * An {@code imsg.*} property has a value the application cannot start with. The message names the property,
 * the value, and what would be valid; {@link InvalidImsgPropertyFailureAnalyzer} prints it as Spring Boot's own
 * start-up failures are printed.
 */
public class InvalidImsgPropertyException extends IllegalStateException {

	private final String property;

	private final @Nullable Object value;

	private final String valid;

	/**
	 * @param property the full property name
	 * @param value the value found, or {@code null} if missing
	 * @param valid what would be valid
	 */
	public InvalidImsgPropertyException(String property, @Nullable Object value, String valid) {
		super("Invalid value " + ((value == null) ? "(none)" : "'" + value + "'") + " for property '" + property
				+ "': expected " + valid);
		this.property = property;
		this.value = value;
		this.valid = valid;
	}

	/**
	 * @return the property's name
	 */
	public String getProperty() {
		return this.property;
	}

	/**
	 * @return the value found
	 */
	public @Nullable Object getValue() {
		return this.value;
	}

	/**
	 * @return what would be valid
	 */
	public String getValid() {
		return this.valid;
	}
}
