package io.github.imsg4j.spring.autoconfigure;

import io.github.imsg4j.spring.ImsgObservations;
import io.micrometer.observation.ObservationRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Observations of handler invocations and template sends, when Micrometer's Observation API and an
 * {@link ObservationRegistry} bean are there (Boot's actuator makes one); none otherwise.
 */
@AutoConfiguration(before = ImsgAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(ObservationRegistry.class)
public final class ImsgObservationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ImsgObservations imsgObservations(ObservationRegistry registry) {
		return new MicrometerImsgObservations(registry);
	}
}
