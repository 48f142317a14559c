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
import org.springframework.boot.health.contributor.Status;
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

	/**
	 * Reported, not DOWN, while a client reconnects (or a child process restarts): a custom status sorts after UP
	 * in Boot's default status order, so the application's aggregate health stays UP while an optional helper
	 * comes back. Map it to DOWN, where it should count, with {@code management.endpoint.health.status.order}
	 * (e.g. {@code down,reconnecting,out-of-service,up,unknown}) or a health group of its own.
	 */
	static final Status RECONNECTING = new Status("RECONNECTING",
			"not connected now; reconnecting with back-off");

	private static Health clientHealth(ClientEndpoint c) {
		boolean childGone = c.connector() instanceof ImsgConnector.ChildConnector children && !children.running();
		// A child process that is not running is never UP, even while its socket still holds what it last wrote.
		Health.Builder b = (c.isConnected() && !childGone) ? Health.up()
				: c.isReconnecting() ? Health.status(RECONNECTING) : Health.down();
		if (!c.isConnected() && c.lastError() != null) {
			b.withDetail("lastError", c.lastError());
		}
		b.withDetail("target", c.target());
		if (c.connector() instanceof ImsgConnector.ChildConnector children) {
			io.github.imsg4j.core.ImsgChildProcess child = children.current();
			b.withDetail("running", children.running());
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
