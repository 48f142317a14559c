package io.github.imsg4j.spring;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import io.github.imsg4j.spring.autoconfigure.ImsgObservationAutoConfiguration;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With an {@link ObservationRegistry} bean, handler invocations and template requests are observed (name,
 * endpoint or client, type, outcome); without one, none is made.
 */
@ExtendWith(OpenFds.class)
class ObservationTest {

	@TempDir
	Path dir;

	/** Keeps every stopped observation's name and low-cardinality keys. */
	static final class Recorder implements ObservationHandler<Observation.Context> {

		final List<String> stopped = new CopyOnWriteArrayList<>();

		@Override
		public void onStop(Observation.Context context) {
			StringBuilder b = new StringBuilder(context.getName());
			for (KeyValue kv : context.getLowCardinalityKeyValues()) {
				b.append(' ').append(kv.getKey()).append('=').append(kv.getValue());
			}
			this.stopped.add(b.toString());
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return true;
		}
	}

	static class Echo {

		@ImsgHandler(endpoints = "e", type = 1, replyType = 2)
		String echo(String text) {
			return text;
		}

		@ImsgHandler(endpoints = "e", type = 3)
		void fail() {
			throw new IllegalStateException("no");
		}
	}

	@Test
	void handlersAndTemplateRequestsAreObserved() {
		Recorder recorder = new Recorder();
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(recorder);
		Path daemonPath = this.dir.resolve("d.sock");
		try (ImsgServer daemon = ImsgServer.listen(daemonPath, ChannelOptions.defaults(), (peer) -> (ch, m) -> {
			try (m) {
				ch.send(11, m.bytes());
			}
		})) {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class, ImsgObservationAutoConfiguration.class))
				.withBean(ObservationRegistry.class, () -> registry)
				.withBean(Echo.class)
				.withPropertyValues("imsg.endpoints.e.path=" + this.dir.resolve("e.sock"), "imsg.clients.d.path=" + daemonPath)
				.run((context) -> {
					try (ImsgChannel ch = ImsgChannel.connect(this.dir.resolve("e.sock"), ChannelOptions.defaults())) {
						ch.send(1, "hi\0".getBytes(StandardCharsets.US_ASCII));
						ch.receive(Duration.ofSeconds(10)).close();
						ch.send(3, new byte[0]);
						await().until(() -> recorder.stopped.stream().anyMatch((s) -> s.contains("outcome=error")));
					}
					try (Imsg reply = context.getBean(ImsgTemplate.class).sendAndReceive("d", 10, "x", 11,
							Duration.ofSeconds(10))) {
						assertThat(reply.type()).isEqualTo(11);
					}
				});
		}
		assertThat(recorder.stopped).anyMatch((s) -> s.startsWith("imsg.handler") && s.contains("imsg.endpoint=e")
				&& s.contains("imsg.type=1") && s.contains("outcome=success"));
		assertThat(recorder.stopped).anyMatch((s) -> s.startsWith("imsg.handler") && s.contains("imsg.type=3")
				&& s.contains("outcome=error"));
		assertThat(recorder.stopped).anyMatch((s) -> s.startsWith("imsg.client") && s.contains("imsg.client=d")
				&& s.contains("imsg.kind=request") && s.contains("outcome=success"));
	}

	@Test
	void withoutARegistryNothingIsObserved() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class, ImsgObservationAutoConfiguration.class))
			.run((context) -> assertThat(context).doesNotHaveBean(ImsgObservations.class));
	}
}
