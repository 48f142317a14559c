package io.github.imsg4j.spring.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import io.github.imsg4j.spring.ClientEndpoint;
import io.github.imsg4j.spring.ImsgConnector;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ServerEndpoint;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * A health indicator per endpoint and client ({@code /actuator/health/imsg/<name>}), when Spring Boot's health
 * support is on the class path: an endpoint is up while it listens, a client while it is connected.
 */
@AutoConfiguration(after = ImsgAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(ImsgEndpointRegistry.class)
@ConditionalOnEnabledHealthIndicator("imsg")
public final class ImsgHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "imsgHealthContributor")
	CompositeHealthContributor imsgHealthContributor(ImsgEndpointRegistry registry) {
		Map<String, HealthIndicator> indicators = new LinkedHashMap<>();
		registry.endpoints().forEach((name, e) -> indicators.put(name, () -> endpointHealth(e)));
		registry.clients().forEach((name, c) -> indicators.put(name, () -> clientHealth(c)));
		return CompositeHealthContributor.fromMap(indicators);
	}

	private static Health endpointHealth(ServerEndpoint e) {
		Health.Builder b = e.isListening() ? Health.up() : Health.down();
		return b.withDetail("path", e.path().toString())
			.withDetail("connections", e.sessions().size())
			.withDetail("refused", e.refusedCount())
			.build();
	}

	private static Health clientHealth(ClientEndpoint c) {
		Health.Builder b = c.isConnected() ? Health.up() : Health.down();
		b.withDetail("target", c.target());
		if (c.connector() instanceof ImsgConnector.ChildConnector children) {
			io.github.imsg4j.core.ImsgChildProcess child = children.current();
			if (child != null) {
				b.withDetail("pid", child.pid());
				io.github.imsg4j.core.ChildExit exit = child.exit().getNow(null);
				if (exit != null) {
					b.withDetail("exit", exit.toString());
				}
			}
		}
		return b.build();
	}
}
