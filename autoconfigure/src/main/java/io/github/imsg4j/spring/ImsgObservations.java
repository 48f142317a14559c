package io.github.imsg4j.spring;

import org.jspecify.annotations.Nullable;

/**
 * Observations (spans, timers) around handler invocations and {@link ImsgTemplate} sends and requests, with the
 * endpoint or client, the message type and the outcome: Micrometer's Observation API when an
 * {@code ObservationRegistry} bean exists, else {@link #NONE}, which costs nothing per message.
 */
public interface ImsgObservations {

	/** Observes nothing. */
	ImsgObservations NONE = new ImsgObservations() {
		@Override
		public Scope handling(String endpoint, String type) {
			return Scope.NONE;
		}

		@Override
		public Scope sending(String client, String type, String kind) {
			return Scope.NONE;
		}
	};

	/**
	 * Starts observing a handler's invocation, from the call until its reply is sent (or its future completes).
	 *
	 * @param endpoint the endpoint, client or process the message came on
	 * @param type the message type's tag (as in the metrics: the type, or {@code other})
	 * @return the observation, to stop
	 */
	Scope handling(String endpoint, String type);

	/**
	 * Starts observing a send or request through the template.
	 *
	 * @param client the client or process
	 * @param type the message type
	 * @param kind {@code send} or {@code request}
	 * @return the observation, to stop
	 */
	Scope sending(String client, String type, String kind);

	/** One running observation. */
	interface Scope {

		/** Does nothing. */
		Scope NONE = (error) -> {
		};

		/**
		 * Stops it, with the failure if there was one.
		 *
		 * @param error the failure, or {@code null} for success
		 */
		void stop(@Nullable Throwable error);
	}
}
