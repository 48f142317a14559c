package io.github.imsg4j.spring.reliability;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.ImsgStruct;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import io.github.imsg4j.spring.CapturedLogs;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input from a raw socket against a running starter-based endpoint, in both wire generations. For every
 * case: a log line naming the connection and the offending fields; that connection closed, or the message
 * rejected as imsg does; a well-behaved client on another connection completes its exchange meanwhile; the
 * process's descriptor count back to where it was. docs/reliability.md lists each case and its outcome.
 */
@ExtendWith(CapturedLogs.class)
class HostilePeerTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	static final int MAX = 16384;

	@TempDir
	static Path dir;

	/** What happens to the hostile connection. */
	enum Outcome {
		/** closed by the server */
		CLOSED,
		/** still served: a valid message sent after the bad input is answered */
		SERVED
	}

	/** Echo (1 -> 2) and a 16-byte struct (3 -> 4). */
	static class Handlers {

		@ImsgStruct
		record Point(int x, int y, long z) {
		}

		@ImsgHandler(type = 1)
		ImsgReply echo(ByteBuffer payload, FileDescriptor fd) {
			if (fd != null) {
				io.github.imsg4j.core.Fds.close(fd);
			}
			return ImsgReply.of(2, payload);
		}

		@ImsgHandler(type = 3, replyType = 4)
		Point point(Point p) {
			return p;
		}
	}

	static ApplicationContextRunner runner() {
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Handlers.class)
			.withPropertyValues("imsg.endpoints.current.path=" + dir.resolve("current.sock"),
					"imsg.endpoints.current.fd-passing=true", "imsg.endpoints.current.idle-timeout=400ms",
					"imsg.endpoints.classic.path=" + dir.resolve("classic.sock"), "imsg.endpoints.classic.wire=classic",
					"imsg.endpoints.classic.fd-passing=true", "imsg.endpoints.classic.idle-timeout=400ms");
	}

	@BeforeAll
	static void warmUp() {
		// As a Spring Boot application does: the core's java.util.logging records go through SLF4J to the same
		// log as everything else (and to the captured output).
		org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
		org.slf4j.bridge.SLF4JBridgeHandler.install();
		// Load every class once, so that descriptor counts see only what a case opens.
		runner().run((context) -> {
			for (WireFormat w : WireFormat.values()) {
				wellBehaved(w);
			}
		});
	}

	static Path socket(WireFormat wire) {
		return dir.resolve(wire.name().toLowerCase() + ".sock");
	}

	/** A header as the given generation writes it, raw fields. */
	static byte[] header(WireFormat wire, int type, long lenField, int flags, int payloadBytes) {
		ByteBuffer b = ByteBuffer.allocate(16 + payloadBytes).order(ByteOrder.nativeOrder());
		b.putInt(0, type);
		if (wire == WireFormat.CLASSIC) {
			b.putShort(4, (short) lenField).putShort(6, (short) flags);
		}
		else {
			b.putInt(4, (int) lenField);
		}
		b.putInt(8, 0).putInt(12, 4242);
		return b.array();
	}

	static byte[] valid(WireFormat wire, int type, int payload, boolean fd) {
		long len = 16 + payload;
		if (wire == WireFormat.CURRENT) {
			return header(wire, type, fd ? (len | 0x80000000L) : len, 0, payload);
		}
		return header(wire, type, len, fd ? 1 : 0, payload);
	}

	static byte[] concat(byte[]... parts) {
		int n = 0;
		for (byte[] p : parts) {
			n += p.length;
		}
		ByteBuffer b = ByteBuffer.allocate(n);
		for (byte[] p : parts) {
			b.put(p);
		}
		return b.array();
	}

	/** One hostile input: what to send (with how many descriptors), what must happen, what the log must say. */
	record Case(String name, WireFormat wire, byte[] bytes, int fds, boolean thenClose, Outcome outcome, String log) {

		@Override
		public String toString() {
			return this.wire.name().toLowerCase() + ": " + this.name;
		}
	}

	static List<Arguments> cases() {
		List<Arguments> all = new ArrayList<>();
		for (WireFormat w : WireFormat.values()) {
			all.add(Arguments.of(new Case("len 0", w, header(w, 1, 0, 0, 0), 0, false, Outcome.CLOSED,
					"len 0 is below the 16-byte header")));
			all.add(Arguments.of(new Case("len 15", w, header(w, 1, 15, 0, 0), 0, false, Outcome.CLOSED,
					"len 15 is below the 16-byte header")));
			all.add(Arguments.of(new Case("len max+1", w, header(w, 1, MAX + 1, 0, 0), 0, false, Outcome.CLOSED,
					"len 16385 is above the channel's maximum of 16384")));
			all.add(Arguments.of(new Case("len 0xFFFF", w, header(w, 1, 0xFFFF, 0, 0), 0, false, Outcome.CLOSED,
					"len 65535 is above the channel's maximum of 16384")));
			all.add(Arguments.of(new Case("fd flag without an fd", w, valid(w, 1, 4, true), 0, false, Outcome.SERVED,
					"claims a descriptor that did not arrive")));
			all.add(Arguments.of(new Case("an fd no message claims", w, valid(w, 1, 4, false), 1, false, Outcome.SERVED,
					"where no message claims one")));
			all.add(Arguments.of(new Case("three fds on one message", w, valid(w, 1, 4, true), 3, false,
					Outcome.SERVED, "imsg takes one per message: closing 2")));
			all.add(Arguments.of(new Case("a huge announced length, then silence", w,
					java.util.Arrays.copyOf(valid(w, 1, MAX - 16, false), 16), 0, false, Outcome.CLOSED, "idle-timeout")));
			all.add(Arguments.of(new Case("a message cut off by close", w,
					java.util.Arrays.copyOf(valid(w, 1, 100, false), 60), 0, true, Outcome.CLOSED,
					"connection closed in the middle of a message (60 bytes of it received")));
			all.add(Arguments.of(new Case("an unknown type", w, valid(w, 777, 0, false), 0, false, Outcome.SERVED,
					"No handler for Imsg[type=777")));
			all.add(Arguments.of(new Case("a payload too short for the handler's struct", w, valid(w, 3, 15, false), 0,
					false, Outcome.SERVED, "payload of 15 bytes does not fit Point, a struct of exactly 16 bytes")));
			all.add(Arguments.of(new Case("a payload too long for the handler's struct", w, valid(w, 3, 17, false), 0,
					false, Outcome.SERVED, "payload of 17 bytes does not fit Point")));
		}
		all.add(Arguments.of(new Case("len with the fd mark and 0", WireFormat.CURRENT,
				header(WireFormat.CURRENT, 1, 0x80000000L, 0, 0), 0, false, Outcome.CLOSED,
				"len 0 is below the 16-byte header")));
		all.add(Arguments.of(new Case("len 0xFFFFFFFF", WireFormat.CURRENT, header(WireFormat.CURRENT, 1, 0xFFFFFFFFL, 0, 0),
				0, false, Outcome.CLOSED, "len 2147483647 is above the channel's maximum of 16384")));
		return all;
	}

	/** A complete exchange on its own connection: echo with a descriptor, and a struct. */
	static void wellBehaved(WireFormat wire) throws IOException {
		try (ImsgChannel ch = ImsgChannel.connect(socket(wire),
				ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true))) {
			ch.compose(1, 0, 0, io.github.imsg4j.core.OutboundFd.openReadOnly(Path.of("/dev/null")),
					ByteBuffer.wrap(new byte[] { 1, 2, 3 }));
			try (Imsg reply = ch.receive(WAIT)) {
				assertThat(reply).as("echo on a well-behaved connection").isNotNull();
				assertThat(reply.type()).isEqualTo(2);
				assertThat(reply.bytes()).containsExactly(1, 2, 3);
			}
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("cases")
	void badInputHarmsOnlyItsOwnConnection(Case c, CapturedLogs output) {
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			int before = OpenFds.count();
			CompletableFuture<Void> other;
			try (AFUNIXSocketChannel raw = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(socket(c.wire())))) {
				List<FileInputStream> opened = new ArrayList<>();
				for (int i = 0; i < c.fds(); i++) {
					opened.add(new FileInputStream("/dev/null"));
				}
				if (!opened.isEmpty()) {
					FileDescriptor[] fds = new FileDescriptor[opened.size()];
					for (int i = 0; i < fds.length; i++) {
						fds[i] = opened.get(i).getFD();
					}
					raw.setOutboundFileDescriptors(fds);
				}
				raw.write(ByteBuffer.wrap(c.bytes()));
				raw.setOutboundFileDescriptors((FileDescriptor[]) null);
				for (FileInputStream in : opened) {
					in.close(); // ours: the kernel holds its own reference while in flight
				}
				// Meanwhile, another connection of the same endpoint does its whole exchange.
				other = CompletableFuture.runAsync(() -> {
					try {
						wellBehaved(c.wire());
					}
					catch (IOException ex) {
						throw new java.io.UncheckedIOException(ex);
					}
				});
				if (c.thenClose()) {
					raw.shutdownOutput();
				}
				raw.socket().setSoTimeout((int) WAIT.toMillis());
				if (c.outcome() == Outcome.CLOSED) {
					assertThat(raw.socket().getInputStream().read()).as("the server closes the connection").isEqualTo(-1);
				}
				else {
					// Still served: an echo sent after the bad input is answered.
					raw.write(ByteBuffer.wrap(concat(valid(c.wire(), 1, 0, false))));
					ByteBuffer reply = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
					while (reply.hasRemaining()) {
						assertThat(raw.read(reply)).as("an answer after the bad input").isPositive();
					}
					assertThat(reply.getInt(0)).isEqualTo(2);
				}
			}
			assertThat(other).succeedsWithin(WAIT);
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
			// The log names the connection (its peer's credentials) and the offending fields.
			long deadline = System.nanoTime() + WAIT.toNanos();
			while (!output.getAll().contains(c.log()) && System.nanoTime() < deadline) {
				Thread.onSpinWait();
			}
			String line = output.getAll().lines().filter((l) -> l.contains(c.log())).findFirst().orElse("");
			assertThat(line).as("log line for %s", c).contains(c.log()).contains("peer pid=");
		});
	}

	@org.junit.jupiter.api.Test
	void aFloodOfTinyMessagesIsServedInFullWithBoundedQueuesAndOthersAreServedMeanwhile() {
		int n = 200_000;
		runner().run((context) -> {
			int before = OpenFds.count();
			// Own threads, not the common pool: on 2 CPUs it has one thread, and the reader would keep the sender
			// from ever starting.
			java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
			try (ImsgChannel flood = ImsgChannel.connect(socket(WireFormat.CURRENT), ChannelOptions.defaults())) {
				CompletableFuture<Integer> replies = CompletableFuture.supplyAsync(() -> {
					int got = 0;
					while (got < n) {
						try (Imsg m = flood.receive(WAIT)) {
							if (m == null) {
								break;
							}
							got++;
						}
					}
					return got;
				}, threads);
				CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
					for (int i = 0; i < n; i++) {
						flood.compose(1, 0, 0, null); // 16 bytes each; waits when the queue is full
					}
				}, threads);
				// While the flood runs, another connection is served.
				for (int i = 0; i < 5; i++) {
					wellBehaved(WireFormat.CURRENT);
				}
				assertThat(sender).succeedsWithin(Duration.ofSeconds(60));
				assertThat(replies).succeedsWithin(Duration.ofSeconds(60)).isEqualTo(n);
			}
			finally {
				threads.shutdown();
			}
			assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
		});
	}
}
