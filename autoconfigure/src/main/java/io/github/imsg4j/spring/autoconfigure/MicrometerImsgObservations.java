package io.github.imsg4j.spring.autoconfigure;

import io.github.imsg4j.spring.ImsgObservations;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * {@link ImsgObservations} on Micrometer's Observation API: {@code imsg.handler} around handler invocations and
 * {@code imsg.client} around template sends and requests, with low-cardinality keys {@code imsg.endpoint} (or
 * {@code imsg.client}), {@code imsg.type}, {@code imsg.kind} and {@code outcome}.
 */
final class MicrometerImsgObservations implements ImsgObservations {

	private final ObservationRegistry registry;

	MicrometerImsgObservations(ObservationRegistry registry) {
		this.registry = registry;
	}

	@Override
	public Scope handling(String endpoint, String type) {
		Observation o = Observation.createNotStarted("imsg.handler", this.registry)
			.contextualName("imsg handle " + type)
			.lowCardinalityKeyValue("imsg.endpoint", endpoint)
			.lowCardinalityKeyValue("imsg.type", type)
			.start();
		return (error) -> stop(o, error);
	}

	@Override
	public Scope sending(String client, String type, String kind) {
		Observation o = Observation.createNotStarted("imsg.client", this.registry)
			.contextualName("imsg " + kind + " " + type)
			.lowCardinalityKeyValue("imsg.client", client)
			.lowCardinalityKeyValue("imsg.type", type)
			.lowCardinalityKeyValue("imsg.kind", kind)
			.start();
		return (error) -> stop(o, error);
	}

	private static void stop(Observation o, @Nullable Throwable error) {
		o.lowCardinalityKeyValue("outcome", (error == null) ? "success" : "error");
		if (error != null) {
			o.error(error);
		}
		o.stop();
	}
}
