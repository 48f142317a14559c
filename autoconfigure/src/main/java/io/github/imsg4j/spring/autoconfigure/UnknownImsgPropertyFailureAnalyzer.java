package io.github.imsg4j.spring.autoconfigure;

import java.beans.PropertyDescriptor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reports a key under {@code imsg.} that no property has ({@code fd-pasing}, {@code wirre}) as a start-up failure
 * naming it, where it was set, and the nearest valid key, instead of Boot's generic list of unbound elements.
 * {@link ImsgProperties} ignores no unknown field, so a misspelt key cannot silently leave a default in place.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class UnknownImsgPropertyFailureAnalyzer extends AbstractFailureAnalyzer<UnboundConfigurationPropertiesException> {

	/** Every property, with {@code <name>} where a map key goes. */
	private static final List<String> KNOWN = known();

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, UnboundConfigurationPropertiesException cause) {
		StringBuilder description = new StringBuilder();
		StringBuilder action = new StringBuilder("Fix the misspelt key");
		for (ConfigurationProperty p : cause.getUnboundProperties()) {
			String name = p.getName().toString();
			if (!name.startsWith("imsg.")) {
				return null; // someone else's properties: Boot's own analyzer reports them
			}
			String nearest = nearest(name);
			description.append("Unknown property '").append(name).append("'");
			Origin origin = p.getOrigin();
			if (origin != null) {
				description.append(" (").append(origin).append(")");
			}
			description.append((nearest != null) ? ": did you mean '" + nearest + "'?" : "").append('\n');
			if (nearest != null) {
				action.append(": ").append(name).append(" -> ").append(nearest);
			}
		}
		return new FailureAnalysis(description.toString().trim(), action + " (the imsg4j guide's Configuration reference lists every imsg property).",
				cause);
	}

	/** The known key closest to {@code name}, with its map keys filled in, if one is close enough to be meant. */
	static @Nullable String nearest(String name) {
		String[] parts = name.split("\\.");
		String best = null;
		int bestDistance = Integer.MAX_VALUE;
		for (String template : KNOWN) {
			String[] t = template.split("\\.");
			if (t.length != parts.length) {
				continue;
			}
			StringBuilder filled = new StringBuilder();
			int distance = 0;
			for (int i = 0; i < t.length; i++) {
				String segment = t[i].equals("<name>") ? parts[i] : t[i];
				distance += levenshtein(segment, parts[i]);
				filled.append((i > 0) ? "." : "").append(segment);
			}
			if (distance < bestDistance) {
				bestDistance = distance;
				best = filled.toString();
			}
		}
		return (best != null && bestDistance <= Math.max(2, parts[parts.length - 1].length() / 3)) ? best : null;
	}

	private static int levenshtein(String a, String b) {
		int[] prev = new int[b.length() + 1];
		int[] cur = new int[b.length() + 1];
		for (int j = 0; j <= b.length(); j++) {
			prev[j] = j;
		}
		for (int i = 1; i <= a.length(); i++) {
			cur[0] = i;
			for (int j = 1; j <= b.length(); j++) {
				int cost = (a.charAt(i - 1) == b.charAt(j - 1)) ? 0 : 1;
				cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
			}
			int[] swap = prev;
			prev = cur;
			cur = swap;
		}
		return prev[b.length()];
	}

	/** Every property of {@link ImsgProperties}, as a user writes it, with {@code <name>} for map keys. */
	static List<String> known() {
		TreeSet<String> out = new TreeSet<>();
		collect("imsg", ImsgProperties.class, out);
		return new ArrayList<>(out);
	}

	private static void collect(String prefix, Class<?> type, TreeSet<String> out) {
		for (PropertyDescriptor pd : BeanUtils.getPropertyDescriptors(type)) {
			if (pd.getName().equals("class") || pd.getReadMethod() == null) {
				continue;
			}
			String key = prefix + "." + pd.getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
			Class<?> t = pd.getPropertyType();
			Class<?> mapValue = Map.class.isAssignableFrom(t) ? mapValueType(pd) : null;
			if (mapValue != null && isNested(mapValue)) {
				collect(key + ".<name>", mapValue, out);
			}
			else if (isNested(t)) {
				collect(key, t, out);
			}
			else {
				out.add(key);
			}
		}
	}

	private static boolean isNested(Class<?> type) {
		return type.getName().startsWith(ImsgProperties.class.getName() + "$");
	}

	private static Class<?> mapValueType(PropertyDescriptor pd) {
		Type type = pd.getReadMethod().getGenericReturnType();
		if (type instanceof ParameterizedType p && p.getActualTypeArguments()[1] instanceof Class<?> value) {
			return value;
		}
		return Object.class;
	}
}
