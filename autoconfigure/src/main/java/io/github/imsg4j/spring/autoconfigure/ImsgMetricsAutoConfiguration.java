package io.github.imsg4j.spring.autoconfigure;

import io.github.imsg4j.spring.ImsgMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for imsg endpoints and clients, when Micrometer and a {@link MeterRegistry} bean are there.
 */
@AutoConfiguration(before = ImsgAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public final class ImsgMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ImsgMetrics imsgMetrics(MeterRegistry registry) {
		return new MicrometerImsgMetrics(registry);
	}
}
