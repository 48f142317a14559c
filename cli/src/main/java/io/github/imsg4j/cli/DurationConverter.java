package io.github.imsg4j.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A duration as an operator writes one: {@code 30s}, {@code 500ms}, {@code 2m}, {@code 0}, or ISO-8601 {@code PT30S}. */
final class DurationConverter implements ITypeConverter<Duration> {

	private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)?");

	@Override
	public Duration convert(String value) {
		Matcher m = SIMPLE.matcher(value.strip());
		if (m.matches()) {
			long n = Long.parseLong(m.group(1));
			String unit = (m.group(2) != null) ? m.group(2) : "s";
			return switch (unit) {
				case "ms" -> Duration.ofMillis(n);
				case "m" -> Duration.ofMinutes(n);
				case "h" -> Duration.ofHours(n);
				default -> Duration.ofSeconds(n);
			};
		}
		try {
			return Duration.parse(value.strip());
		}
		catch (RuntimeException ex) {
			throw new TypeConversionException("'" + value + "' is not a duration (30s, 500ms, 2m, 0, or PT30S)");
		}
	}
}
