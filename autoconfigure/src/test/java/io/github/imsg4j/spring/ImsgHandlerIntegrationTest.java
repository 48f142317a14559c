package io.github.imsg4j.spring;

import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgClosedException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import io.github.imsg4j.spring.autoconfigure.ImsgMetricsAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Handlers, arguments, replies, descriptors, ordering, errors and shutdown, over real UNIX sockets: an
 * application with three endpoints (a: current wire, b: classic wire with a fallback handler, c: no fd passing
 * and unhandled messages close the connection), and clients made with the core library.
 */
class ImsgHandlerIntegrationTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	static Path dir;

	static ApplicationContextRunner runner;

	@BeforeAll
	static void setUp() {
		runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class, ImsgMetricsAutoConfiguration.class))
			.withBean(TestHandlers.class)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withPropertyValues("imsg.endpoints.a.path=" + dir.resolve("a.sock"), "imsg.endpoints.a.fd-passing=true",
					"imsg.endpoints.b.path=" + dir.resolve("b.sock"), "imsg.endpoints.b.wire=classic",
					"imsg.endpoints.b.fd-passing=true", "imsg.endpoints.c.path=" + dir.resolve("c.sock"),
					"imsg.endpoints.c.unhandled=close", "spring.lifecycle.timeout-per-shutdown-phase=20s");
		// Load every class and jar once, so that descriptor counts taken later see only what a test opens.
		runner.run((context) -> {
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				request(ch, 10, cstring("warm"), null).close();
			}
		});
	}

	static ImsgChannel connect(String endpoint, WireFormat wire) {
		return ImsgChannel.connect(dir.resolve(endpoint + ".sock"),
				ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true));
	}

	static Imsg request(ImsgChannel ch, int type, byte[] payload, OutboundFd fd) {
		ch.compose(type, 0, 0, fd, ByteBuffer.wrap(payload));
		Imsg reply = ch.receive(WAIT);
		assertThat(reply).as("reply to type %d", type).isNotNull();
		return reply;
	}

	static byte[] cstring(String s) {
		return (s + "\0").getBytes(StandardCharsets.UTF_8);
	}

	static void run(ContextConsumer<AssertableApplicationContext> test) {
		runner.run((context) -> {
			assertThat(context).hasNotFailed();
			test.accept(context);
		});
	}

	@ParameterizedTest(name = "endpoint {0}")
	@ValueSource(strings = { "a", "b" })
	void stringArgumentAndStringReplyOnBothWireGenerations(String endpoint) {
		run((context) -> {
			WireFormat wire = endpoint.equals("a") ? WireFormat.CURRENT : WireFormat.CLASSIC;
			try (ImsgChannel ch = connect(endpoint, wire); Imsg reply = request(ch, 10, cstring("hello"), null)) {
				assertThat(reply.type()).isEqualTo(11);
				assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("HELLO");
			}
		});
	}

	@Test
	void aClassicPeerOnACurrentEndpointIsAProtocolErrorForItsConnectionOnly() {
		run((context) -> {
			try (ImsgChannel wrong = connect("a", WireFormat.CLASSIC); ImsgChannel right = connect("a", WireFormat.CURRENT)) {
				// A classic header's len+flags read as a current u32 length: 18 | (1 << 16) > max size: the server
				// closes this connection (the client just sees the end of the stream).
				wrong.compose(10, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.wrap(cstring("x")));
				assertThat(wrong.closeFuture()).succeedsWithin(WAIT);
				try (Imsg reply = request(right, 10, cstring("still here"), null)) {
					assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("STILL HERE");
				}
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				await().atMost(WAIT).until(() -> meters.counter("imsg.protocol.errors", "endpoint", "a").count() == 1);
			}
		});
	}

	@Test
	void everyArgumentKindIsResolved() {
		run((context) -> {
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				ch.compose(20, 77, 4242, null, ByteBuffer.wrap(new byte[] { 1, 2, 3, 4, 5 }));
				try (Imsg reply = ch.receive(WAIT)) {
					assertThat(reply.type()).isEqualTo(21);
					assertThat(reply.peerId()).as("echoes the request's peer id").isEqualTo(77);
					TestHandlers.Seen seen = context.getBean(ImsgCodecs.class).decode(TestHandlers.Seen.class,
							reply.reader());
					assertThat(seen).isEqualTo(new TestHandlers.Seen(77, 4242, 20,
							(int) ch.peerCredentials().uid(), 5, 5, 5, true, true));
				}
			}
		});
	}

	@Test
	void structsAreDecodedAndEncodedWithCLayoutAndWrongSizesAreRejected() {
		run((context) -> {
			ByteBuffer p = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
			p.putInt(0, 41).putShort(4, (short) 6).putLong(8, 1L << 40);
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				try (Imsg reply = request(ch, 30, p.array(), null)) {
					assertThat(reply.type()).isEqualTo(31);
					assertThat(reply.length()).isEqualTo(16);
					ByteBuffer r = reply.payload().order(ByteOrder.nativeOrder());
					assertThat(r.getInt(0)).isEqualTo(42);
					assertThat(r.getShort(4)).isEqualTo((short) 7);
					assertThat(r.getLong(8)).isEqualTo((1L << 40) + 1);
				}
				// 15 and 17 bytes: rejected (logged by the error handler), the connection stays up.
				ch.compose(30, 0, 0, null, ByteBuffer.allocate(15));
				ch.compose(30, 0, 0, null, ByteBuffer.allocate(17));
				try (Imsg reply = request(ch, 10, cstring("after"), null)) {
					assertThat(reply.type()).as("no reply to the bad structs").isEqualTo(11);
				}
			}
		});
	}

	@Test
	void aReceivedDescriptorGoesBackWithTheReplyAndNothingLeaks() throws Exception {
		Path file = Files.writeString(dir.resolve("content"), "the file's content");
		run((context) -> {
			int before = OpenFds.count();
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				for (int i = 0; i < 200; i++) {
					try (Imsg reply = request(ch, 40, new byte[0], OutboundFd.openReadOnly(file))) {
						assertThat(reply.type()).isEqualTo(41);
						try (FileInputStream in = new FileInputStream(reply.takeFd())) {
							assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("the file's content");
						}
					}
				}
			}
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
		});
	}

	@Test
	void anEndpointWithoutFdPassingClosesArrivingDescriptorsAndTheHandlerSeesNone() {
		run((context) -> {
			int before = OpenFds.count();
			try (ImsgChannel ch = connect("c", WireFormat.CURRENT)) {
				for (int i = 0; i < 50; i++) {
					try (Imsg reply = request(ch, 40, new byte[0], OutboundFd.openReadOnly(Path.of("/dev/null")))) {
						assertThat(reply.type()).isEqualTo(43);
						assertThat(reply.hasFd()).isFalse();
					}
				}
			}
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
		});
	}

	@Test
	void asynchronousHandlersReplyWhenTheirFutureCompletes() {
		run((context) -> {
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT); Imsg reply = request(ch, 50, new byte[300], null)) {
				assertThat(reply.type()).isEqualTo(51);
				assertThat(reply.length()).isEqualTo(300);
			}
		});
	}

	@Test
	void aThrowingHandlerGoesToTheErrorHandlerAndTheConnectionStaysUp() {
		run((context) -> {
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				ch.compose(60, 0, 0, null);
				try (Imsg reply = request(ch, 10, cstring("next"), null)) {
					assertThat(reply.type()).isEqualTo(11);
				}
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				assertThat(meters.timer("imsg.handler", "endpoint", "a", "type", "60", "outcome", "error").count())
					.isEqualTo(1);
			}
		});
	}

	@Test
	void aSessionKeptByAHandlerSendsLaterFromAnotherThread() {
		run((context) -> {
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT); Imsg reply = request(ch, 70, new byte[0], null)) {
				assertThat(reply.type()).isEqualTo(71);
				assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("from another thread");
			}
		});
	}

	@Test
	void messagesOfOneConnectionAreHandledInOrder() {
		run((context) -> {
			TestHandlers handlers = context.getBean(TestHandlers.class);
			handlers.sequence.clear();
			int n = 5000;
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				for (int i = 0; i < n; i++) {
					ch.compose(90, 0, 0, null, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, i));
				}
				for (int i = 0; i < n; i++) {
					try (Imsg reply = ch.receive(WAIT)) {
						assertThat(reply.reader().getH32()).isEqualTo(i);
					}
				}
			}
			List<Integer> expected = new ArrayList<>();
			for (int i = 0; i < n; i++) {
				expected.add(i);
			}
			assertThat(handlers.sequence).isEqualTo(expected);
		});
	}

	@Test
	void differentConnectionsAreHandledInParallel() {
		run((context) -> {
			TestHandlers handlers = context.getBean(TestHandlers.class);
			handlers.meet = new CountDownLatch(2);
			try (ImsgChannel one = connect("a", WireFormat.CURRENT); ImsgChannel two = connect("a", WireFormat.CURRENT)) {
				one.compose(92, 0, 0, null);
				two.compose(92, 0, 0, null);
				// Each handler waits for the other: both answer "met" only if they ran at the same time.
				try (Imsg a = one.receive(WAIT); Imsg b = two.receive(WAIT)) {
					assertThat(ImsgCodecs.decodeCString(a.reader())).isEqualTo("met");
					assertThat(ImsgCodecs.decodeCString(b.reader())).isEqualTo("met");
				}
			}
		});
	}

	@Test
	void unhandledTypesAreDroppedOrCloseTheConnectionAsConfigured() {
		run((context) -> {
			try (ImsgChannel a = connect("a", WireFormat.CURRENT); ImsgChannel c = connect("c", WireFormat.CURRENT)) {
				a.compose(12345, 0, 0, null);
				try (Imsg reply = request(a, 10, cstring("dropped, still up"), null)) {
					assertThat(reply.type()).isEqualTo(11);
				}
				c.compose(12345, 0, 0, null);
				assertThat(c.closeFuture()).succeedsWithin(WAIT);
				assertThatThrownBy(() -> c.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				await().atMost(WAIT).until(() -> meters.counter("imsg.messages.unhandled", "endpoint", "c").count() == 1);
				assertThat(meters.counter("imsg.messages.received", "endpoint", "a", "type", "other").count()).isEqualTo(1);
			}
		});
	}

	@Test
	void theFallbackTakesEveryTypeWithoutAHandlerOnItsEndpoint() {
		run((context) -> {
			try (ImsgChannel b = connect("b", WireFormat.CLASSIC); Imsg reply = request(b, 777, new byte[0], null)) {
				assertThat(reply.type()).isEqualTo(99);
				assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("777");
			}
		});
	}

	@Test
	void theTemplateBroadcastsToEverySessionOfAnEndpoint() {
		run((context) -> {
			try (ImsgChannel one = connect("a", WireFormat.CURRENT); ImsgChannel two = connect("a", WireFormat.CURRENT)) {
				// A round trip each, so that both sessions exist before the broadcast.
				request(one, 10, cstring("1"), null).close();
				request(two, 10, cstring("2"), null).close();
				int sent = context.getBean(ImsgTemplate.class).broadcast("a", 500, "to all");
				assertThat(sent).isEqualTo(2);
				for (ImsgChannel ch : List.of(one, two)) {
					try (Imsg m = ch.receive(WAIT)) {
						assertThat(m.type()).isEqualTo(500);
						assertThat(ImsgCodecs.decodeCString(m.reader())).isEqualTo("to all");
					}
				}
			}
		});
	}

	@Test
	void socketFilesGetTheConfiguredModeBeforeAnyoneCanConnect() throws Exception {
		Path sock = dir.resolve("mode.sock");
		runner.withPropertyValues("imsg.endpoints.m.path=" + sock, "imsg.endpoints.m.socket-mode=0660").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
		});
		assertThat(sock).doesNotExist();
		try (java.util.stream.Stream<Path> left = Files.list(dir)) {
			assertThat(left.filter((p) -> p.getFileName().toString().startsWith(".imsg4j-")))
				.as("the private bind directory is removed on close")
				.isEmpty();
		}
		// Default: 0600.
		runner.run((context) -> assertThat(PosixFilePermissions.toString(
				Files.getPosixFilePermissions(dir.resolve("a.sock")))).isEqualTo("rw-------"));
	}

	@Test
	void gracefulShutdownFinishesInFlightHandlersAndFlushesTheirReplies() {
		TestHandlers[] handlers = new TestHandlers[1];
		int n = 5;
		runner.run((context) -> {
			handlers[0] = context.getBean(TestHandlers.class);
			handlers[0].release = new CountDownLatch(1);
			handlers[0].started = new CountDownLatch(1);
			handlers[0].slowHandled.set(0);
			ImsgChannel ch = connect("a", WireFormat.CURRENT);
			try {
				for (int i = 0; i < n; i++) {
					ch.compose(100, 0, 0, null, ByteBuffer.wrap(cstring("job " + i)));
				}
				assertThat(handlers[0].started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
				Thread closer = new Thread(context::close);
				closer.start();
				// Shutdown has begun once the socket file is gone; then let the handlers finish.
				await().atMost(WAIT).until(() -> !Files.exists(dir.resolve("a.sock")));
				assertThatThrownBy(() -> connect("a", WireFormat.CURRENT)).hasMessageContaining("cannot connect");
				handlers[0].release.countDown();
				for (int i = 0; i < n; i++) {
					try (Imsg reply = ch.receive(WAIT)) {
						assertThat(reply).as("reply %d", i).isNotNull();
						assertThat(ImsgCodecs.decodeCString(reply.reader())).isEqualTo("job " + i);
					}
				}
				assertThatThrownBy(() -> ch.receive(WAIT)).as("then the server closes").isInstanceOf(ImsgClosedException.class);
				closer.join(WAIT.toMillis());
				assertThat(closer.isAlive()).isFalse();
			}
			catch (InterruptedException ex) {
				throw new AssertionError(ex);
			}
			finally {
				ch.abort();
			}
		});
		assertThat(handlers[0].slowHandled).hasValue(n);
	}

	@Test
	void metricsCountMessagesBytesAndDescriptors() {
		run((context) -> {
			int before = OpenFds.count();
			try (ImsgChannel ch = connect("a", WireFormat.CURRENT)) {
				request(ch, 10, cstring("abc"), null).close();
				request(ch, 40, new byte[0], OutboundFd.openReadOnly(Path.of("/dev/null"))).close();
			}
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
			MeterRegistry m = context.getBean(MeterRegistry.class);
			assertThat(m.counter("imsg.messages.received", "endpoint", "a", "type", "10").count()).isEqualTo(1);
			assertThat(m.counter("imsg.bytes.received", "endpoint", "a").count()).isEqualTo(16 + 4 + 16);
			assertThat(m.counter("imsg.fds.received", "endpoint", "a").count()).isEqualTo(1);
			// Sends are counted once queued, which may be just after the peer already read them.
			await().atMost(WAIT).until(() -> m.counter("imsg.fds.sent", "endpoint", "a").count() == 1);
			await().atMost(WAIT).until(() -> m.counter("imsg.messages.sent", "endpoint", "a", "type", "11").count() == 1);
		});
	}
}
