package io.github.imsg4j.spring.autoconfigure;

import java.beans.PropertyDescriptor;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.beans.BeanUtils;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;
import org.springframework.boot.configurationmetadata.ValueHint;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IDE completion for every {@code imsg.*} key. Boot's processor describes the top-level keys and stops at
 * the maps ({@code imsg.endpoints}, {@code imsg.clients}, {@code imsg.processes}); the keys inside an entry
 * are described in {@code additional-spring-configuration-metadata.json} as {@code imsg.endpoints.*.wire}
 * (the {@code *} stands for the entry's name, as Boot's own documentation writes map keys), with the
 * descriptions taken from the Javadoc of {@link ImsgProperties}' fields, so that they are written once. The
 * first test regenerates that file and fails when the committed one differs; the second reads the
 * {@code spring-configuration-metadata.json} the build generated, as an IDE does.
 */
class ConfigurationMetadataTest {

	static final Path ADDITIONAL = Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json");

	@Test
	void theCommittedMetadataIsTheOneTheJavadocGives() throws Exception {
		String generated = generate();
		String committed = Files.isRegularFile(ADDITIONAL) ? Files.readString(ADDITIONAL) : "";
		if (!generated.equals(committed)) {
			Path fresh = Path.of("target/additional-spring-configuration-metadata.json");
			Files.writeString(fresh, generated);
			if (Boolean.getBoolean("imsg4j.metadata.write")) {
				Files.writeString(ADDITIONAL, generated);
			}
		}
		assertThat(committed).as("%s is out of date with ImsgProperties; the regenerated file is in target/ "
				+ "(or rerun with -Dimsg4j.metadata.write=true)", ADDITIONAL).isEqualTo(generated);
	}

	@Test
	void theGeneratedMetadataDescribesEveryKeyAndHintsEveryChoice() throws Exception {
		ConfigurationMetadataRepository repository;
		try (InputStream in = Files.newInputStream(Path.of("target/classes/META-INF/spring-configuration-metadata.json"))) {
			repository = ConfigurationMetadataRepositoryJsonBuilder.create(StandardCharsets.UTF_8).withJsonResource(in).build();
		}
		Map<String, ConfigurationMetadataProperty> all = repository.getAllProperties();
		for (String key : UnknownImsgPropertyFailureAnalyzer.known()) {
			String name = key.replace("<name>", "*");
			assertThat(all).as("metadata for %s", name).containsKey(name);
			assertThat(all.get(name).getDescription()).as("description of %s", name).isNotBlank();
		}
		Map<String, List<String>> choices = Map.of("wire", List.of("classic", "current"), "stale-socket",
				List.of("replace", "fail"), "unhandled", List.of("drop", "close"), "on-exit", List.of("restart", "exit"));
		int hinted = 0;
		for (ConfigurationMetadataProperty p : all.values()) {
			String last = p.getId().substring(p.getId().lastIndexOf('.') + 1);
			if (choices.containsKey(last)) {
				assertThat(p.getHints().getValueHints()).as("value hints of %s", p.getId())
					.extracting(ValueHint::getValue)
					.containsExactlyElementsOf(choices.get(last));
				hinted++;
			}
		}
		assertThat(hinted).as("wire of endpoints, clients and processes, stale-socket, unhandled, on-exit").isEqualTo(6);
		assertThat(all.get("imsg.endpoints.*.socket-mode").getDefaultValue()).isEqualTo("0600");
		// nothing a reader needs is lost to HTML stripping, and every choice says what it does
		assertThat(all.get("imsg.endpoints.*.wire").getDescription())
			.isEqualTo("Wire generation: classic (u16 len + flags; OpenBSD <= 7.6, tmux <= 3.5) or current (OpenBSD >= 7.7).");
		for (ConfigurationMetadataProperty p : all.values()) {
			for (ValueHint hint : p.getHints().getValueHints()) {
				assertThat(hint.getDescription()).as("description of %s = %s", p.getId(), hint.getValue()).isNotBlank();
			}
		}
		assertThat(all).containsKey("management.health.imsg.enabled");
		assertThat(all.get("imsg.clients.*.reconnect.max-backoff").getDefaultValue()).isEqualTo("30s");
	}

	/** The per-entry keys of every map of {@link ImsgProperties}, as the additional metadata file. */
	static String generate() throws Exception {
		Map<String, String> javadoc = javadoc(
				Files.readString(Path.of("src/main/java/io/github/imsg4j/spring/autoconfigure/ImsgProperties.java")));
		TreeMap<String, String> properties = new TreeMap<>();
		TreeMap<String, String> hints = new TreeMap<>();
		for (PropertyDescriptor pd : BeanUtils.getPropertyDescriptors(ImsgProperties.class)) {
			Class<?> value = Map.class.isAssignableFrom(pd.getPropertyType()) ? mapValue(pd.getReadMethod()) : null;
			if (value != null && nested(value)) {
				collect("imsg." + kebab(pd.getName()) + ".*", value, BeanUtils.instantiateClass(value), javadoc,
						properties, hints);
			}
		}
		// Boot's own health indicators each have management.health.<name>.enabled; this one's is not in a class the
		// processor reads (@ConditionalOnEnabledHealthIndicator("imsg")), so it is described here
		properties.put("management.health.imsg.enabled", "\n    {\n      \"name\": "
				+ quote("management.health.imsg.enabled") + ",\n      \"type\": \"java.lang.Boolean\",\n      "
				+ "\"description\": " + quote("Whether to enable the imsg health check (endpoints, clients and processes).")
				+ ",\n      \"defaultValue\": true\n    }");
		StringBuilder json = new StringBuilder("{\n  \"properties\": [");
		json.append(String.join(",", properties.values())).append("\n  ],\n  \"hints\": [");
		json.append(String.join(",", hints.values())).append("\n  ]\n}\n");
		return json.toString();
	}

	private static void collect(String prefix, Class<?> type, Object defaults, Map<String, String> javadoc,
			Map<String, String> properties, Map<String, String> hints) throws Exception {
		for (PropertyDescriptor pd : BeanUtils.getPropertyDescriptors(type)) {
			if (pd.getName().equals("class") || pd.getReadMethod() == null) {
				continue;
			}
			String key = prefix + "." + kebab(pd.getName());
			Object value = pd.getReadMethod().invoke(defaults);
			if (nested(pd.getPropertyType())) {
				collect(key, pd.getPropertyType(), value, javadoc, properties, hints);
				continue;
			}
			String description = describe(type, pd.getName(), javadoc);
			Type written = (pd.getWriteMethod() != null) ? pd.getWriteMethod().getGenericParameterTypes()[0]
					: pd.getReadMethod().getGenericReturnType();
			StringBuilder p = new StringBuilder("\n    {\n      \"name\": ").append(quote(key));
			p.append(",\n      \"type\": ").append(quote(typeName(written)));
			p.append(",\n      \"description\": ").append(quote(description));
			p.append(",\n      \"sourceType\": ").append(quote(declaring(type, pd.getName()).getName()));
			String dflt = defaultValue(value);
			if (dflt != null) {
				p.append(",\n      \"defaultValue\": ").append(dflt);
			}
			properties.put(key, p.append("\n    }").toString());
			if (pd.getPropertyType().isEnum()) {
				StringBuilder h = new StringBuilder("\n    {\n      \"name\": ").append(quote(key))
					.append(",\n      \"values\": [");
				List<String> values = new ArrayList<>();
				Map<String, String> described = constants(pd.getPropertyType());
				for (Object constant : pd.getPropertyType().getEnumConstants()) {
					String name = ((Enum<?>) constant).name();
					values.add("\n        {\n          \"value\": " + quote(name.toLowerCase(Locale.ROOT))
							+ ",\n          \"description\": " + quote(described.get(name)) + "\n        }");
				}
				hints.put(key, h.append(String.join(",", values)).append("\n      ]\n    }").toString());
			}
		}
	}

	/** Field name (qualified by its class's simple name) to the first sentence of its Javadoc, made plain. */
	static Map<String, String> javadoc(String source) {
		Map<String, String> out = new HashMap<>();
		Pattern classes = Pattern.compile("\\bclass (\\w+)");
		Pattern fields = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*private [^;=(]*?\\b(\\w+)\\s*[;=]", Pattern.DOTALL);
		Matcher m = fields.matcher(source);
		while (m.find()) {
			Matcher c = classes.matcher(source.substring(0, m.start()));
			String owner = "ImsgProperties";
			while (c.find()) {
				owner = c.group(1);
			}
			out.put(owner + "." + m.group(2), plain(m.group(1)));
		}
		return out;
	}

	/**
	 * A Javadoc comment as plain text: inline tags give their text ({@code {@literal <=}} gives {@code <=}), HTML
	 * tags go (only real ones: a letter or a slash after the {@code <}, never the {@code <=} of a sentence) and
	 * entities are decoded.
	 */
	static String plain(String comment) {
		return comment.replaceAll("(?m)^\\s*\\*\\s?", " ")
			.replaceAll("\\{@\\w+ ([^}]*)}", "$1")
			.replaceAll("</?[A-Za-z][^>]*>", "")
			.replace("&lt;", "<")
			.replace("&gt;", ">")
			.replace("&amp;", "&")
			.replaceAll("\\s+", " ")
			.strip();
	}

	/** The Javadoc of each constant of {@code type}, from its source in this module or the core's. */
	static Map<String, String> constants(Class<?> type) throws Exception {
		String file = type.getName().replace('.', '/').replaceAll("\\$.*", "") + ".java";
		Path source = Path.of("src/main/java", file);
		if (!Files.exists(source)) {
			source = Path.of("../core/src/main/java", file);
		}
		String text = Files.readString(source);
		Map<String, String> out = new HashMap<>();
		for (Object constant : type.getEnumConstants()) {
			String name = ((Enum<?>) constant).name();
			Matcher m = Pattern.compile("/\\*\\*((?:(?!\\*/).)*)\\*/\\s*" + name + "\\b", Pattern.DOTALL).matcher(text);
			assertThat(m.find()).as("Javadoc of %s.%s", type.getSimpleName(), name).isTrue();
			out.put(name, plain(m.group(1)));
		}
		return out;
	}

	private static String describe(Class<?> type, String field, Map<String, String> javadoc) {
		String text = javadoc.get(declaring(type, field).getSimpleName() + "." + field);
		assertThat(text).as("Javadoc of %s.%s", type.getSimpleName(), field).isNotBlank();
		return text;
	}

	private static Class<?> declaring(Class<?> type, String field) {
		for (Class<?> c = type; c != null; c = c.getSuperclass()) {
			try {
				c.getDeclaredField(field);
				return c;
			}
			catch (NoSuchFieldException ex) {
				// declared further up
			}
		}
		throw new AssertionError(type + " has no field " + field);
	}

	private static String typeName(Type type) {
		if (type instanceof Class<?> c) {
			return c.isPrimitive() ? org.springframework.util.ClassUtils.resolvePrimitiveIfNecessary(c).getName() : c.getName();
		}
		if (type instanceof ParameterizedType p) {
			List<String> args = new ArrayList<>();
			for (Type a : p.getActualTypeArguments()) {
				args.add(typeName(a));
			}
			return typeName(p.getRawType()) + "<" + String.join(",", args) + ">";
		}
		return type.getTypeName();
	}

	/** As Boot's processor writes defaults: {@code 30s}, {@code 4MB}, lower-case enum names. */
	private static String defaultValue(Object value) {
		if (value == null || (value instanceof Collection<?> c && c.isEmpty()) || (value instanceof Map<?, ?> m && m.isEmpty())) {
			return null;
		}
		if (value instanceof Boolean || value instanceof Number) {
			return value.toString();
		}
		if (value instanceof Duration d) {
			return quote((d.toMillis() % 1000 == 0) ? d.toSeconds() + "s" : d.toMillis() + "ms");
		}
		if (value instanceof DataSize s) {
			long b = s.toBytes();
			return quote((b % (1024 * 1024) == 0) ? b / (1024 * 1024) + "MB" : (b % 1024 == 0) ? b / 1024 + "KB" : b + "B");
		}
		if (value instanceof Enum<?> e) {
			return quote(e.name().toLowerCase(Locale.ROOT));
		}
		return quote(value.toString());
	}

	private static Class<?> mapValue(Method getter) {
		Type type = getter.getGenericReturnType();
		return (type instanceof ParameterizedType p && p.getActualTypeArguments()[1] instanceof Class<?> c) ? c
				: Object.class;
	}

	private static boolean nested(Class<?> type) {
		return type.getName().startsWith(ImsgProperties.class.getName() + "$") && !type.isEnum();
	}

	private static String kebab(String name) {
		return name.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
	}

	private static String quote(String s) {
		return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
	}
}
