package io.github.imsg4j.core;

import org.jspecify.annotations.Nullable;

/**
 * An option given to the core ({@link ChannelOptions}, {@link ListenOptions}, {@link ImsgChildProcess.Spec},
 * {@link ImsgBudget}) is out of range. It names the option as the core spells it, the value, and what would be
 * valid, so that a layer on top (the Spring Boot starter) can report the same rule under its own name for the
 * setting instead of writing the rule again.
 */
public class ImsgOptionException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private final String option;

	private final transient @Nullable Object value;

	private final String expected;

	/**
	 * @param option the option's name, as the record component or parameter that takes it
	 * @param value the value refused
	 * @param expected what would be valid, phrased to follow "expected"
	 */
	public ImsgOptionException(String option, @Nullable Object value, String expected) {
		super(option + " " + value + " is out of range: expected " + expected);
		this.option = option;
		this.value = value;
		this.expected = expected;
	}

	/**
	 * @return the option's name, such as {@code writeQueueLimit}
	 */
	public String option() {
		return this.option;
	}

	/**
	 * @return the value refused
	 */
	public @Nullable Object value() {
		return this.value;
	}

	/**
	 * @return what would be valid
	 */
	public String expected() {
		return this.expected;
	}
}
