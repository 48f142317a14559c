package io.github.imsg4j.spring.autoconfigure;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * An {@code imsg.*} property set to a value its enum does not have ({@code wire: bogus}): reported with the valid
 * values as they are written in configuration and in the docs ({@code classic, current}), not Boot's generic
 * list of constants in upper case.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class ImsgEnumFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		Class<?> type = cause.getTarget().getType().resolve();
		String name = cause.getName().toString();
		if (type == null || !type.isEnum() || !name.startsWith("imsg.")) {
			return null;
		}
		String valid = Arrays.stream(type.getEnumConstants())
			.map((c) -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT).replace('_', '-'))
			.collect(Collectors.joining(", "));
		ConfigurationProperty property = cause.getProperty();
		Object value = (property != null) ? property.getValue() : null;
		String origin = (property != null && property.getOrigin() != null) ? " (" + property.getOrigin() + ")" : "";
		return new FailureAnalysis("Invalid value '" + value + "' for property '" + name + "'" + origin
				+ ": expected one of " + valid, "Set " + name + " to one of: " + valid + ".", cause);
	}
}
