package io.github.imsg4j.spring.reliability;

import java.io.FileDescriptor;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.CPeers;
import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Load and faults against a starter endpoint: 200 clients exchanging messages with descriptors while clients
 * come and go and some misbehave; a peer killed with SIGKILL in the middle of sending descriptors. At the end
 * the counts on both sides agree exactly, the descriptor count is back, and the heap is back near its start.
 * {@code -Dimsg4j.soak.seconds=N} (default 10) sets how long the soak runs; CI runs the default.
 */
class SoakTest {

	static final Duration WAIT = Duration.ofSeconds(30);

	@TempDir
	Path dir;

	/** Counts what it handles; replies to 1 with 2 carrying the request's sequence number. */
	static class Counting {

		final AtomicLong handled = new AtomicLong();

		final AtomicLong fds = new AtomicLong();

		@ImsgHandler(type = 1)
		ImsgReply request(ByteBuffer payload, FileDescriptor fd) {
			if (fd != null) {
				this.fds.incrementAndGet();
				Fds.close(fd);
			}
			this.handled.incrementAndGet();
			return ImsgReply.of(2, payload);
		}
	}

	ApplicationContextRunner runner() {
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Counting.class)
			.withPropertyValues("imsg.endpoints.soak.path=" + this.dir.resolve("soak.sock"),
					"imsg.endpoints.soak.fd-passing=true", "imsg.endpoints.soak.max-connections=1000");
	}

	/** Until the server side of every earlier connection is closed, descriptors included. */
	static void awaitNoSessions(org.springframework.context.ApplicationContext context) {
		await().atMost(WAIT).until(() -> context.getBean(io.github.imsg4j.spring.ImsgEndpointRegistry.class)
			.endpoint("soak").sessions().isEmpty());
	}

	static long usedHeapAfterGc() {
		for (int i = 0; i < 3; i++) {
			System.gc();
		}
		return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
	}

	@Test
	void twoHundredClientsComeAndGoSomeMisbehaveAndEveryAcknowledgedMessageWasHandled() {
		long seconds = Long.getLong("imsg4j.soak.seconds", 10);
		runner().run((context) -> {
			Counting counting = context.getBean(Counting.class);
			Path sock = this.dir.resolve("soak.sock");
			// warm-up, then the baselines
			client(sock, new Random(0), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500), new AtomicLong(),
					new AtomicLong());
			counting.handled.set(0);
			counting.fds.set(0);
			awaitNoSessions(context);
			int before = OpenFds.count();
			long heapBefore = usedHeapAfterGc();

			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
			AtomicLong acknowledged = new AtomicLong();
			AtomicLong fdsSent = new AtomicLong();
			List<CompletableFuture<Void>> clients = new ArrayList<>();
			for (int c = 0; c < 200; c++) {
				Random r = new Random(c);
				clients.add(CompletableFuture.runAsync(() -> client(sock, r, deadline, acknowledged, fdsSent),
						runnable -> {
							Thread t = new Thread(runnable, "soak-client");
							t.setDaemon(true);
							t.start();
						}));
			}
			CompletableFuture.allOf(clients.toArray(new CompletableFuture<?>[0])).get(seconds + 60, TimeUnit.SECONDS);

			// Every reply a client saw is a message the server handled; nothing was handled twice or lost.
			await().atMost(WAIT).until(() -> counting.handled.get() == acknowledged.get());
			assertThat(counting.fds.get()).as("descriptors handled").isEqualTo(fdsSent.get());
			assertThat(acknowledged.get()).as("acknowledged exchanges").isGreaterThan(1000);
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
			long heapAfter = usedHeapAfterGc();
			assertThat(heapAfter - heapBefore).as("heap growth after GC (%d -> %d bytes)", heapBefore, heapAfter)
				.isLessThan(32L << 20);
			System.out.println("SoakTest: " + acknowledged.get() + " exchanges (" + fdsSent.get() + " with descriptors) in "
					+ seconds + " s by 200 clients; heap " + heapBefore / 1024 + " KiB -> " + heapAfter / 1024 + " KiB");
		});
	}

	/**
	 * One client's life until the deadline: connect, exchange a few messages (a third with descriptors), leave;
	 * one connection in ten misbehaves instead (a bad header, or a message cut off by close).
	 */
	static void client(Path sock, Random r, long deadline, AtomicLong acknowledged, AtomicLong fdsSent) {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		while (System.nanoTime() < deadline) {
			if (r.nextInt(10) == 0) {
				misbehave(sock, r);
				continue;
			}
			try (ImsgChannel ch = ImsgChannel.connect(sock, options)) {
				int n = 1 + r.nextInt(20);
				for (int i = 0; i < n; i++) {
					boolean fd = r.nextInt(3) == 0;
					ByteBuffer payload = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, r.nextLong());
					ch.compose(1, 0, 0, fd ? OutboundFd.openReadOnly(Path.of("/dev/null")) : null, payload);
					try (Imsg reply = ch.receive(WAIT)) {
						assertThat(reply).isNotNull();
						assertThat(reply.payload()).isEqualTo(payload.rewind());
					}
					acknowledged.incrementAndGet();
					if (fd) {
						fdsSent.incrementAndGet();
					}
				}
			}
		}
	}

	static void misbehave(Path sock, Random r) {
		try (AFUNIXSocketChannel raw = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock))) {
			ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
			if (r.nextBoolean()) {
				b.putInt(0, 1).putInt(4, 3); // len 3: a protocol error
			}
			else {
				b.putInt(0, 1).putInt(4, 200); // announces 200 bytes, sends 40, goes away
			}
			raw.write(b);
		}
		catch (java.io.IOException ex) {
			// the server may already have closed it: that is the point
		}
	}

	@Test
	void aPeerKilledWithSigkillWhileSendingDescriptorsHarmsNothingElse() throws Exception {
		Path cpeer = CPeers.binary(WireFormat.CURRENT);
		runner().run((context) -> {
			Counting counting = context.getBean(Counting.class);
			Path sock = this.dir.resolve("soak.sock");
			client(sock, new Random(1), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), new AtomicLong(),
					new AtomicLong());
			awaitNoSessions(context);
			int before = OpenFds.count();
			Process sender = new ProcessBuilder(cpeer.toString(), "send", sock.toString(), "10000000", "64", "fd")
				.redirectErrorStream(true)
				.start();
			await().atMost(WAIT).until(() -> counting.fds.get() > 2000);
			sender.destroyForcibly(); // SIGKILL, in the middle of sending
			assertThat(sender.waitFor(10, TimeUnit.SECONDS)).isTrue();
			sender.getInputStream().close();
			sender.getOutputStream().close();
			AtomicLong ok = new AtomicLong();
			client(sock, new Random(2), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300), ok, new AtomicLong());
			assertThat(ok.get()).as("another client is served after the kill").isPositive();
			assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
			long handled = counting.fds.get();
			await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> counting.fds.get() == handled);
			System.out.println("SoakTest: the killed C peer had " + handled + " descriptors handled");
		});
	}

	@Test
	void stoppingTheApplicationUnderLoadLosesNoAcknowledgedMessage() throws Exception {
		Path sock = this.dir.resolve("soak.sock");
		Counting[] counting = new Counting[1];
		AtomicLong acknowledged = new AtomicLong();
		runner().withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=20s").run((context) -> {
			counting[0] = context.getBean(Counting.class);
			List<Thread> clients = new ArrayList<>();
			java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(20);
			for (int c = 0; c < 20; c++) {
				Thread t = new Thread(() -> {
					try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
						running.countDown();
						for (long i = 0;; i++) {
							ch.compose(1, 0, 0, null, ByteBuffer.allocate(8).putLong(0, i));
							try (Imsg reply = ch.receive(WAIT)) {
								if (reply == null) {
									return;
								}
							}
							acknowledged.incrementAndGet();
						}
					}
					catch (ImsgException ex) {
						// the server stopped: the end of this client
					}
				}, "load-" + c);
				t.start();
				clients.add(t);
			}
			assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
			await().atMost(WAIT).until(() -> acknowledged.get() > 5000);
			context.close(); // graceful: stop reading, finish handlers, flush replies, close
			for (Thread t : clients) {
				t.join(WAIT.toMillis());
				assertThat(t.isAlive()).as("client ended when the server stopped").isFalse();
			}
		});
		// Every message the server handled was answered and every answer seen, and nothing more.
		assertThat(acknowledged.get()).as("acknowledged").isEqualTo(counting[0].handled.get());
		System.out.println("SoakTest: stopped under load after " + acknowledged.get() + " exchanges, none lost");
	}
}
