package io.github.imsg4j.spring;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgClosedException;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import io.github.imsg4j.spring.autoconfigure.ImsgMetricsAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Who gets in, from the kernel's credentials: the C peer run as root (this process's uid in CI) and as
 * {@code nobody}, against the default policy, {@code auth.allow-users}, and an {@link ImsgPeerAuthorizer}; plus
 * {@code max-connections} and {@code idle-timeout}.
 */
class ImsgAuthorizationTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	Path dir;

	Path sock;

	ApplicationContextRunner runner;

	@BeforeEach
	void setUp() throws Exception {
		// World-traversable, so that a peer running as nobody can reach the socket; the socket is 0666.
		this.dir = Files.createTempDirectory(Path.of("/tmp"), "imsg4j-auth-",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
		this.sock = this.dir.resolve("bench.sock");
		this.runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class, ImsgMetricsAutoConfiguration.class))
			.withBean(PingHandler.class)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withPropertyValues("imsg.endpoints.bench.path=" + this.sock, "imsg.endpoints.bench.socket-mode=0666");
	}

	@AfterEach
	void tearDown() throws Exception {
		Files.deleteIfExists(this.dir);
	}

	List<String> ping(int n) {
		return List.of(CPeer.binary(WireFormat.CURRENT).toString(), "ping", this.sock.toString(), String.valueOf(n), "8");
	}

	@Test
	void byDefaultOnlyTheServersOwnUserGetsIn() {
		List<String> asNobody = CPeer.asNobody(ping(10));
		this.runner.run((context) -> {
			PingHandler handlers = context.getBean(PingHandler.class);
			CPeer.Result refused = CPeer.run(asNobody);
			assertThat(refused.exit()).as("nobody's ping: %s", refused.out()).isNotZero();
			assertThat(handlers.pings).as("a refused peer's PING, already sent, never reaches a handler").hasValue(0);
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(meters.counter("imsg.connections.refused", "endpoint", "bench", "reason", "auth").count())
				.isEqualTo(1);
			assertThat(context.getBean(ImsgEndpointRegistry.class).endpoint("bench").refusedCount()).isEqualTo(1);

			CPeer.Result own = CPeer.run(ping(10));
			assertThat(own.exit()).as("own uid's ping: %s", own.out()).isZero();
			assertThat(own.out()).contains("mode=ping", "n=10");
			assertThat(handlers.pings).hasValue(10);
		});
	}

	@Test
	void allowUsersLetsAnotherUserIn() {
		List<String> asNobody = CPeer.asNobody(ping(10));
		this.runner.withPropertyValues("imsg.endpoints.bench.auth.allow-users=nobody").run((context) -> {
			CPeer.Result r = CPeer.run(asNobody);
			assertThat(r.exit()).as(r.out()).isZero();
			assertThat(context.getBean(PingHandler.class).pings).hasValue(10);
		});
	}

	@Test
	void anAuthorizerBeanDecidesBeforeTheProperties() {
		List<String> asNobody = CPeer.asNobody(ping(5));
		this.runner
			.withBean(ImsgPeerAuthorizer.class,
					() -> (endpoint, peer) -> (peer.uid() == 65534) ? ImsgPeerAuthorizer.Decision.ALLOW
							: ImsgPeerAuthorizer.Decision.DENY)
			.run((context) -> {
				assertThat(CPeer.run(asNobody).exit()).as("allowed by the bean").isZero();
				assertThat(CPeer.run(ping(5)).exit()).as("own uid, denied by the bean").isNotZero();
				assertThat(context.getBean(PingHandler.class).pings).hasValue(5);
			});
	}

	@Test
	void peersBeyondMaxConnectionsAreClosedAtOnceAndOthersAreUnharmed() {
		this.runner.withPropertyValues("imsg.endpoints.bench.max-connections=2").run((context) -> {
			ChannelOptions opts = ChannelOptions.defaults();
			try (ImsgChannel one = ImsgChannel.connect(this.sock, opts);
					ImsgChannel two = ImsgChannel.connect(this.sock, opts)) {
				// Both admitted: each gets its answer.
				for (ImsgChannel ch : List.of(one, two)) {
					ch.compose(2, 0, 0, null, java.nio.ByteBuffer.wrap(new byte[] { 1 }));
					try (Imsg pong = ch.receive(WAIT)) {
						assertThat(pong.type()).isEqualTo(3);
					}
				}
				try (ImsgChannel third = ImsgChannel.connect(this.sock, opts)) {
					assertThat(third.closeFuture()).succeedsWithin(WAIT);
					assertThatThrownBy(() -> third.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
				}
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				await().atMost(WAIT)
					.until(() -> meters.counter("imsg.connections.refused", "endpoint", "bench", "reason",
							"max-connections").count() == 1);
				one.compose(2, 0, 0, null, java.nio.ByteBuffer.wrap(new byte[] { 2 }));
				try (Imsg pong = one.receive(WAIT)) {
					assertThat(pong.type()).as("existing connection unharmed").isEqualTo(3);
				}
			}
			// A slot frees when a connection closes.
			await().atMost(WAIT).until(() -> context.getBean(ImsgEndpointRegistry.class).endpoint("bench").sessions().isEmpty());
			try (ImsgChannel again = ImsgChannel.connect(this.sock, ChannelOptions.defaults())) {
				again.compose(2, 0, 0, null, java.nio.ByteBuffer.wrap(new byte[] { 3 }));
				try (Imsg pong = again.receive(WAIT)) {
					assertThat(pong.type()).isEqualTo(3);
				}
			}
		});
	}

	@Test
	void aPeerThatAnnouncesAMessageAndGoesSilentIsClosedByTheIdleTimeout() {
		this.runner.withPropertyValues("imsg.endpoints.bench.idle-timeout=300ms").run((context) -> {
			try (ImsgChannel busy = ImsgChannel.connect(this.sock, ChannelOptions.defaults());
					AFUNIXSocketChannel silent = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(this.sock))) {
				// A current header announcing 1000 bytes, then nothing.
				java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.nativeOrder());
				h.putInt(0, 1).putInt(4, 1000).putInt(8, 0).putInt(12, 1);
				silent.write(h);
				silent.socket().setSoTimeout((int) WAIT.toMillis());
				java.util.concurrent.CompletableFuture<Integer> eof = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
					try {
						return silent.socket().getInputStream().read();
					}
					catch (java.io.IOException ex) {
						throw new java.io.UncheckedIOException(ex);
					}
				});
				// Meanwhile a peer that keeps talking, one round trip after another until the silent one is closed,
				// stays: each message it sends restarts its own idle clock (no pacing against the timeout).
				long deadline = System.nanoTime() + WAIT.toNanos();
				int i = 0;
				while (!eof.isDone() && System.nanoTime() < deadline) {
					busy.compose(2, 0, 0, null, java.nio.ByteBuffer.wrap(new byte[] { (byte) i++ }));
					try (Imsg pong = busy.receive(WAIT)) {
						assertThat(pong.type()).isEqualTo(3);
					}
				}
				assertThat(eof).as("the silent peer is closed: end of stream").succeedsWithin(WAIT).isEqualTo(-1);
				assertThat(i).as("busy exchanges while the silent one waited").isGreaterThan(3);
				assertThat(busy.isOpen()).isTrue();
			}
		});
	}
}
