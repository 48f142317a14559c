package io.github.imsg4j.spring;

import org.jspecify.annotations.Nullable;

/**
 * Receives counting events from endpoints and clients. The default does nothing; with Micrometer on the class
 * path and a {@code MeterRegistry} bean, {@code MicrometerImsgMetrics} records them. Called on event-loop and
 * handler threads: must be fast and must not block.
 */
public interface ImsgMetrics {

	/** Records nothing. */
	ImsgMetrics NONE = new ImsgMetrics() {
	};

	/** @param endpoint endpoint or client name */
	default void connectionOpened(String endpoint) {
	}

	/** @param endpoint endpoint or client name @param cause why it failed, or {@code null} for an orderly close */
	default void connectionClosed(String endpoint, @Nullable Throwable cause) {
	}

	/** @param endpoint endpoint name @param reason {@code auth} or {@code max-connections} */
	default void connectionRefused(String endpoint, String reason) {
	}

	/**
	 * @param endpoint endpoint or client name
	 * @param type message type, as a tag: the number when a handler takes it, else {@code other}
	 * @param length bytes including the header
	 * @param fd whether a descriptor came with it
	 */
	default void messageReceived(String endpoint, String type, int length, boolean fd) {
	}

	/**
	 * @param endpoint endpoint or client name
	 * @param type message type tag
	 * @param length bytes including the header
	 * @param fd whether a descriptor went with it
	 */
	default void messageSent(String endpoint, String type, int length, boolean fd) {
	}

	/**
	 * @param endpoint endpoint or client name
	 * @param type message type tag
	 * @param nanos time in the handler (until its future completed, for asynchronous ones)
	 * @param failed whether it failed
	 */
	default void handled(String endpoint, String type, long nanos, boolean failed) {
	}

	/** @param endpoint endpoint or client name */
	default void protocolError(String endpoint) {
	}

	/** @param endpoint endpoint or client name */
	default void unhandled(String endpoint) {
	}
}
