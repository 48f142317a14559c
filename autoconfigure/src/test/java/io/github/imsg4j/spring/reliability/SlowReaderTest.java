package io.github.imsg4j.spring.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import io.github.imsg4j.spring.CapturedLogs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Peers that ask for large replies and never read them. The policy: a reply (or any send from a handler thread,
 * and any send to an endpoint connection) never waits for room; a peer whose replies fill its
 * {@code write-queue-limit} is closed. So a handler thread is never held by a peer, memory stays bounded by the
 * limit plus one message per connection, and other connections are served throughout, even when the slow peers
 * outnumber the handler threads. Every test checks the descriptor count of the process.
 */
@ExtendWith({ CapturedLogs.class, io.github.imsg4j.core.OpenFds.class })
class SlowReaderTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** Type 1 asks for a 16000-byte reply. */
	static class Big {

		@ImsgHandler(type = 1, replyType = 2)
		byte[] big() {
			return new byte[16000];
		}
	}

	private ApplicationContextRunner runner(Path sock, String... more) {
		return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Big.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.endpoints.e.write-queue-limit=64KB")
			.withPropertyValues(more);
	}

	@Test
	void aReaderThatNeverReadsIsClosedOnceItsQueueIsFull(CapturedLogs output) {
		Path sock = this.dir.resolve("slow.sock");
		runner(sock).run((context) -> {
			try (ImsgChannel slow = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1))) {
				// The client stops reading after one message (capacity 1): replies pile up in the server.
				for (int i = 0; i < 100 && slow.isOpen(); i++) {
					slow.tryCompose(1, 0, 0, null, ByteBuffer.allocate(0));
				}
				await().atMost(WAIT).until(() -> output.getAll().contains("the peer does not read what is sent to it"));
				await().atMost(WAIT).until(() -> context.getBean(ImsgEndpointRegistry.class).endpoint("e").sessions()
					.isEmpty());
				serveAnother(sock);
			}
		});
	}

	@Test
	void slowPeersOutnumberingTheHandlerThreadsDoNotStopOthersBeingServed(CapturedLogs output) {
		Path sock = this.dir.resolve("many.sock");
		// Two handler threads, six peers that never read, the default 30 s send-timeout: before, each reply to a
		// slow peer held a handler thread for 30 s, and the well-behaved client below waited behind them.
		runner(sock, "imsg.handlers.threads=2").run((context) -> {
			java.util.List<ImsgChannel> slow = new java.util.ArrayList<>();
			try {
				for (int p = 0; p < 6; p++) {
					ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1));
					slow.add(c);
					try {
						for (int i = 0; i < 40; i++) {
							c.tryCompose(1, 0, 0, null, ByteBuffer.allocate(0));
						}
					}
					catch (io.github.imsg4j.core.ImsgClosedException ex) {
						// already cut off for not reading: the outcome this test is about
					}
				}
				serveAnother(sock);
				await().atMost(WAIT).until(() -> slow.stream().noneMatch(ImsgChannel::isOpen));
				serveAnother(sock);
			}
			finally {
				slow.forEach(ImsgChannel::abort);
			}
		});
	}

	@Test
	void shutdownClosesSlowPeersTogetherNotOneAfterAnother() {
		Path sock = this.dir.resolve("stop.sock");
		int peers = 4;
		runner(sock, "imsg.endpoints.e.write-queue-limit=1MB").run((context) -> {
			ImsgEndpointRegistry registry = context.getBean(ImsgEndpointRegistry.class);
			java.util.List<ImsgChannel> slow = new java.util.ArrayList<>();
			try {
				for (int p = 0; p < peers; p++) {
					ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults().withReceiveQueueCapacity(1));
					slow.add(c);
					// more replies than the socket buffers hold, fewer than the write-queue limit: each session
					// has bytes queued that its peer will never read, so its orderly close runs into the timeout
					for (int i = 0; i < 40; i++) {
						c.compose(1, 0, 0, null, ByteBuffer.allocate(0));
					}
				}
				await().atMost(WAIT).until(() -> registry.endpoint("e").sessions().size() == peers
						&& registry.endpoint("e").sessions().stream().allMatch((s) -> s.channel().queuedBytes() > 0));
				Duration closeTimeout = ChannelOptions.defaults().closeTimeout();
				long start = System.nanoTime();
				context.close();
				Duration took = Duration.ofNanos(System.nanoTime() - start);
				// one after another this took a close timeout per session (4 x 5 s); together, one
				assertThat(took).as("shutdown with %d slow peers", peers).isLessThan(closeTimeout.multipliedBy(2));
				assertThat(registry.endpoint("e").sessions()).isEmpty();
			}
			finally {
				slow.forEach(ImsgChannel::abort);
			}
		});
	}

	private static void serveAnother(Path sock) {
		try (ImsgChannel other = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
			other.compose(1, 0, 0, null, ByteBuffer.allocate(0));
			try (Imsg reply = other.receive(WAIT)) {
				assertThat(reply).as("another connection is served within " + WAIT).isNotNull();
				assertThat(reply.length()).isEqualTo(16000);
			}
		}
	}
}
