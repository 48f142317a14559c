package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.internal.SocketLayer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@link ChannelOptions#withCallerReads}: {@code receive()} reads the socket on the calling thread. Real sockets;
 * the descriptor count is checked after every test, including when the channel closes under a thread blocked in
 * {@code poll(2)}, which must wake and leave before the socket is closed. On the junixsocket transport the option
 * falls back to the event loop reading, and the same tests show that nothing else changes.
 */
@ExtendWith(OpenFds.class)
class CallerReadsTest {

	private static final ChannelOptions OPTIONS = ChannelOptions.defaults().withFdPassing(true).withCallerReads(true);

	@Test
	void requestsAndRepliesWithDescriptorsAreReadOnTheCallersThread() throws Exception {
		Path dir = Files.createTempDirectory("imsg4j-caller-reads");
		Path path = dir.resolve("echo.sock");
		ImsgListener echo = new ImsgListener() {
			@Override
			public void onMessage(ImsgChannel ch, Imsg m) {
				try (m) {
					OutboundFd fd = m.hasFd() ? OutboundFd.transfer(m.takeFd()) : null;
					ch.compose(m.type() + 1, m.peerId(), 0, fd, m.payload());
				}
			}
		};
		try (ImsgServer server = ImsgServer.listen(path, ChannelOptions.defaults().withFdPassing(true), peer -> echo);
				ImsgChannel client = ImsgChannel.connect(path, OPTIONS)) {
			for (int i = 0; i < 2000; i++) {
				boolean withFd = i % 2 == 0;
				client.compose(10, i, 0, withFd ? OutboundFd.openReadOnly(Path.of("/dev/null")) : null,
						ByteBuffer.allocate(64).putInt(0, i));
				client.flush();
				try (Imsg reply = client.receive(Duration.ofSeconds(10))) {
					assertThat(reply).as("reply %d", i).isNotNull();
					assertThat(reply.type()).isEqualTo(11);
					assertThat(reply.peerId()).isEqualTo(i);
					assertThat(reply.payload().getInt(0)).isEqualTo(i);
					assertThat(reply.hasFd()).isEqualTo(withFd);
				}
			}
		}
		finally {
			Files.deleteIfExists(path);
			Files.deleteIfExists(dir);
		}
	}

	@Test
	void closingWakesAThreadBlockedInReceive() throws Exception {
		ImsgChannel.Pair pair = ImsgChannel.pair(OPTIONS);
		try {
			CompletableFuture<Throwable> outcome = new CompletableFuture<>();
			Thread receiver = new Thread(() -> {
				try {
					pair.first().receive(Duration.ofSeconds(60));
					outcome.complete(null);
				}
				catch (Throwable ex) {
					outcome.complete(ex);
				}
			}, "caller-reads-rx");
			receiver.start();
			awaitInPoll(receiver);
			assertTimeoutPreemptively(Duration.ofSeconds(10), () -> pair.first().close());
			assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(ImsgClosedException.class);
			assertThat(pair.first().closeFuture()).isDone();
		}
		finally {
			pair.close();
		}
	}

	@Test
	void thePeersCloseEndsReceiveAfterEverythingItSent() throws Exception {
		ImsgChannel.Pair pair = ImsgChannel.pair(OPTIONS);
		try {
			CompletableFuture<Integer> got = new CompletableFuture<>();
			Thread receiver = new Thread(() -> {
				int n = 0;
				try {
					while (true) {
						Imsg m = pair.first().receive(Duration.ofSeconds(60));
						if (m == null) {
							got.completeExceptionally(new AssertionError("receive timed out after " + n));
							return;
						}
						m.close();
						n++;
					}
				}
				catch (ImsgClosedException ex) {
					got.complete(n);
				}
			}, "caller-reads-rx");
			receiver.start();
			awaitInPoll(receiver);
			for (int i = 0; i < 500; i++) {
				pair.second().compose(1, i, 0, (i % 5 == 0) ? OutboundFd.openReadOnly(Path.of("/dev/null")) : null,
						ByteBuffer.allocate(100));
			}
			pair.second().close(); // orderly: flushes all 500, then closes
			assertThat(got.get(20, TimeUnit.SECONDS)).isEqualTo(500);
		}
		finally {
			pair.close();
		}
	}

	@Test
	void concurrentReceiversTakeEachMessageOnce() throws Exception {
		try (ImsgChannel.Pair pair = ImsgChannel.pair(OPTIONS)) {
			int count = 3000;
			Set<Integer> seen = ConcurrentHashMap.newKeySet();
			List<Thread> receivers = new ArrayList<>();
			List<Throwable> failures = new ArrayList<>();
			for (int r = 0; r < 3; r++) {
				Thread t = new Thread(() -> {
					try {
						while (seen.size() < count) {
							try (Imsg m = pair.first().receive(Duration.ofMillis(200))) {
								if (m != null) {
									assertThat(seen.add(m.peerId())).as("message %d taken twice", m.peerId()).isTrue();
								}
							}
						}
					}
					catch (Throwable ex) {
						synchronized (failures) {
							failures.add(ex);
						}
					}
				});
				receivers.add(t);
				t.start();
			}
			for (int i = 0; i < count; i++) {
				pair.second().compose(1, i, 0, null, ByteBuffer.allocate(32));
			}
			pair.second().flush(Duration.ofSeconds(10));
			for (Thread t : receivers) {
				t.join(30_000);
				assertThat(t.isAlive()).isFalse();
			}
			assertThat(failures).isEmpty();
			assertThat(seen).hasSize(count);
		}
	}

	@Test
	void aPeerSending253DescriptorsCostsNothingButTheOneItsMessageClaims() throws Exception {
		long before = HostileDescriptorsTest.devNulls();
		try (RawPeer attacker = RawPeer.connect(OPTIONS, null)) {
			byte[] msg = RawPeer.message(OPTIONS.wireFormat(), 7, true, new byte[4]);
			List<FileInputStream> files = new ArrayList<>();
			try {
				FileDescriptor[] fds = new FileDescriptor[253];
				for (int i = 0; i < fds.length; i++) {
					FileInputStream f = new FileInputStream("/dev/null");
					files.add(f);
					fds[i] = f.getFD();
				}
				attacker.socket.setOutboundFileDescriptors(fds);
				assertThat(attacker.socket.write(ByteBuffer.wrap(msg))).isEqualTo(msg.length);
			}
			finally {
				for (FileInputStream f : files) {
					f.close();
				}
			}
			try (Imsg m = attacker.channel.receive(Duration.ofSeconds(10))) {
				assertThat(m).isNotNull();
				assertThat(m.type()).isEqualTo(7);
				assertThat(m.hasFd()).isTrue();
				assertThat(HostileDescriptorsTest.devNulls()).as("the claimed one only").isEqualTo(before + 1);
			}
			assertThat(HostileDescriptorsTest.devNulls()).isEqualTo(before);
		}
	}

	@Test
	void aListenerAndCallerReadsAreRefusedWithoutLeakingTheSocket() {
		ImsgListener listener = new ImsgListener() {
			@Override
			public void onMessage(ImsgChannel ch, Imsg m) {
				m.close();
			}
		};
		assertThatThrownBy(() -> ImsgChannel.pair(OPTIONS, listener, null))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("callerReads is for channels without a listener");
	}

	/** The numbers of poll(2) and ppoll(2) on this machine's architecture, as {@code /proc/PID/task/TID/syscall} shows them. */
	private static List<String> pollSyscalls() {
		return switch (System.getProperty("os.arch")) {
			case "amd64" -> List.of("7 ", "271 ");
			case "aarch64" -> List.of("73 ");
			default -> {
				Assumptions.abort("no poll(2) system call numbers known for " + System.getProperty("os.arch"));
				yield List.of();
			}
		};
	}

	private static void awaitInPoll(Thread t) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		boolean ffm = "ffm".equals(SocketLayer.get().name());
		List<String> polls = ffm ? pollSyscalls() : List.of();
		while (System.nanoTime() < deadline) {
			if (!ffm && t.getState() == Thread.State.TIMED_WAITING) {
				return; // the loop reads: the receiver waits for its hand-over
			}
			try (var tasks = Files.list(Path.of("/proc/self/task"))) {
				for (Path task : (Iterable<Path>) tasks::iterator) {
					try {
						String call = Files.readString(task.resolve("syscall"));
						if (Files.readString(task.resolve("comm")).strip().equals(t.getName())
								&& polls.stream().anyMatch(call::startsWith)) {
							return;
						}
					}
					catch (java.io.IOException ex) {
						// the task ended meanwhile
					}
				}
			}
			Thread.onSpinWait();
		}
		throw new AssertionError(t.getName() + " never blocked in poll(2)");
	}
}
