package io.github.imsg4j.spring.autoconfigure;

import java.util.concurrent.TimeUnit;

import io.github.imsg4j.spring.ImsgMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

/**
 * Records imsg events as Micrometer meters, tagged by {@code endpoint} (and {@code type}, which is the number
 * only for types a handler takes, else {@code other}, so that peers cannot create meters at will):
 * {@code imsg.messages.received/sent}, {@code imsg.bytes.received/sent}, {@code imsg.fds.received/sent},
 * {@code imsg.handler} (timer, tag {@code outcome}), {@code imsg.connections.opened/closed},
 * {@code imsg.connections.refused} (tag {@code reason}), {@code imsg.protocol.errors},
 * {@code imsg.messages.unhandled}.
 */
public class MicrometerImsgMetrics implements ImsgMetrics {

	private final MeterRegistry registry;

	/**
	 * @param registry where meters go
	 */
	public MicrometerImsgMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	private Counter counter(String name, String... tags) {
		return Counter.builder(name).tags(tags).register(this.registry);
	}

	@Override
	public void connectionOpened(String endpoint) {
		counter("imsg.connections.opened", "endpoint", endpoint).increment();
	}

	@Override
	public void connectionClosed(String endpoint, @Nullable Throwable cause) {
		counter("imsg.connections.closed", "endpoint", endpoint, "outcome", (cause == null) ? "orderly" : "error")
			.increment();
	}

	@Override
	public void connectionRefused(String endpoint, String reason) {
		counter("imsg.connections.refused", "endpoint", endpoint, "reason", reason).increment();
	}

	@Override
	public void messageReceived(String endpoint, String type, int length, boolean fd) {
		traffic("received", endpoint, type, length, fd);
	}

	@Override
	public void messageSent(String endpoint, String type, int length, boolean fd) {
		traffic("sent", endpoint, type, length, fd);
	}

	private void traffic(String direction, String endpoint, String type, int length, boolean fd) {
		counter("imsg.messages." + direction, "endpoint", endpoint, "type", type).increment();
		counter("imsg.bytes." + direction, "endpoint", endpoint).increment(length);
		if (fd) {
			counter("imsg.fds." + direction, "endpoint", endpoint).increment();
		}
	}

	@Override
	public void handled(String endpoint, String type, long nanos, boolean failed) {
		Timer.builder("imsg.handler")
			.tags("endpoint", endpoint, "type", type, "outcome", failed ? "error" : "success")
			.register(this.registry)
			.record(nanos, TimeUnit.NANOSECONDS);
	}

	@Override
	public void protocolError(String endpoint) {
		counter("imsg.protocol.errors", "endpoint", endpoint).increment();
	}

	@Override
	public void unhandled(String endpoint) {
		counter("imsg.messages.unhandled", "endpoint", endpoint).increment();
	}
}
