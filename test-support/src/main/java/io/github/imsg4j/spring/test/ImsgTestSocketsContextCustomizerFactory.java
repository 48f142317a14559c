package io.github.imsg4j.spring.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * Registered in {@code META-INF/spring.factories}: for a test class annotated with
 * {@link AutoConfigureImsgTestSockets}, moves every endpoint's socket into a temporary directory.
 */
class ImsgTestSocketsContextCustomizerFactory implements ContextCustomizerFactory {

	@Override
	public @Nullable ContextCustomizer createContextCustomizer(Class<?> testClass,
			List<ContextConfigurationAttributes> configAttributes) {
		return MergedAnnotations.from(testClass, MergedAnnotations.SearchStrategy.TYPE_HIERARCHY)
			.isPresent(AutoConfigureImsgTestSockets.class) ? new TempSockets() : null;
	}

	/** Equal to every other instance, so that test contexts are cached as usual. */
	static final class TempSockets implements ContextCustomizer {

		@Override
		public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
			Map<String, Object> endpoints = Binder.get(context.getEnvironment())
				.bind("imsg.endpoints", Bindable.mapOf(String.class, Object.class))
				.orElse(Map.of());
			if (endpoints.isEmpty()) {
				return;
			}
			Path dir;
			try {
				dir = Files.createTempDirectory("imsg4j-test-",
						PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
			}
			catch (IOException ex) {
				throw new UncheckedIOException("cannot make a temporary directory for the test sockets", ex);
			}
			dir.toFile().deleteOnExit(); // empty by then: each server removes its socket when it closes
			Map<String, Object> paths = new LinkedHashMap<>();
			for (String name : endpoints.keySet()) {
				paths.put("imsg.endpoints." + name + ".path", dir.resolve(name + ".sock").toString());
			}
			context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("imsgTestSockets", paths));
		}

		@Override
		public boolean equals(@Nullable Object other) {
			return other instanceof TempSockets;
		}

		@Override
		public int hashCode() {
			return TempSockets.class.hashCode();
		}
	}
}
