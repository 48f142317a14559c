package io.github.imsg4j.core;

import java.io.FileInputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sending, back-pressure, closing and serving, over real sockets. */
@ExtendWith(OpenFds.class)
class ChannelBehaviourTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	@Test
	void composeAndBuilderEnforceTheMaximumSize() {
		ChannelOptions options = ChannelOptions.defaults().withMaxMessageSize(100);
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			assertThatThrownBy(() -> pair.first().compose(1, 0, 0, null, ByteBuffer.allocate(85)))
				.isInstanceOf(ImsgSizeException.class)
				.hasMessageContaining("101 bytes (header included) exceeds the channel's maximum of 100");
			ImsgBuilder b = pair.first().create(2, 0, 0, null).add(new byte[80]);
			assertThatThrownBy(() -> b.addH64(1)).isInstanceOf(ImsgSizeException.class)
				.hasMessageContaining("would be 104 bytes with its header, above the channel's maximum of 100");
			b.addH32(7).close();
			try (Imsg m = pair.second().receive(WAIT)) {
				assertThat(m.type()).isEqualTo(2);
				assertThat(m.length()).isEqualTo(84);
			}
		}
	}

	@Test
	void forwardKeepsHeaderFieldsButNotTheFd() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		try (ImsgChannel.Pair in = ImsgChannel.pair(options); ImsgChannel.Pair out = ImsgChannel.pair(options)) {
			in.first().compose(5, 77, 4321, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.wrap(new byte[] { 1 }));
			try (Imsg m = in.second().receive(WAIT)) {
				out.first().forward(m);
			}
			try (Imsg f = out.second().receive(WAIT)) {
				assertThat(f.type()).isEqualTo(5);
				assertThat(f.peerId()).isEqualTo(77);
				assertThat(f.pid()).isEqualTo(4321);
				assertThat(f.bytes()).containsExactly(1);
				assertThat(f.claimsFd()).isFalse();
			}
		}
	}

	@Test
	void fullWriteQueueRefusesOrWaitsAndRecoversWhenThePeerReads() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWriteQueueLimit(16384).withSendTimeout(Duration.ZERO);
		// The peer is a raw socket that reads nothing until told: the kernel buffers fill, then our queue.
		try (RawPeer peer = RawPeer.connect(options, null)) {
			ImsgChannel ch = peer.channel;
			ByteBuffer big = ByteBuffer.allocate(16000);
			long sent = 0;
			while (true) {
				if (ch.tryCompose(1, 0, 0, null, big)) {
					sent++;
					assertThat(sent).as("the queue must fill up").isLessThan(10_000);
				}
				else if (!ch.flush(Duration.ofMillis(200))) {
					break; // our queue is full and the kernel takes no more
				}
			}
			assertThat(ch.queuedBytes()).isPositive();
			assertThatThrownBy(() -> ch.compose(1, 0, 0, null, big))
				.isInstanceOf(ImsgQueueFullException.class).hasMessageContaining("write queue full");
			assertThat(ch.awaitRoom(Duration.ofMillis(1))).isFalse();
			long expected = sent * (16000 + WireFormat.HEADER_SIZE);
			ByteBuffer sink = ByteBuffer.allocate(1 << 16);
			long read = 0;
			while (read < expected) {
				sink.clear();
				read += peer.socket.read(sink);
			}
			assertThat(read).isEqualTo(expected);
			assertThat(ch.awaitRoom(WAIT)).isTrue();
			assertThat(ch.queueLength()).isZero();
		}
	}

	@Test
	void orderlyCloseFlushesFirst() {
		// Fewer messages than the receiver's queue holds (4096 by default): nobody reads while close() flushes, so
		// what does not fit there would have to fit in the kernel's socket buffers, whose room depends on how the
		// writes happened to be split (each skb costs its payload plus overhead). 5000 failed once that way.
		int count = 3000;
		assertThat(count).isLessThan(ChannelOptions.defaults().receiveQueueCapacity());
		try (ImsgChannel.Pair pair = ImsgChannel.pair(ChannelOptions.defaults())) {
			for (int i = 0; i < count; i++) {
				pair.first().compose(i, 0, 0, null, ByteBuffer.allocate(100));
			}
			pair.first().close();
			assertThatThrownBy(() -> pair.first().send(1, new byte[0])).isInstanceOf(ImsgClosedException.class);
			for (int i = 0; i < count; i++) {
				try (Imsg m = pair.second().receive(WAIT)) {
					assertThat(m.type()).isEqualTo(i);
				}
			}
			assertThatThrownBy(() -> pair.second().receive(WAIT)).isInstanceOf(ImsgClosedException.class);
		}
	}

	@Test
	void abortDiscardsTheQueueAndClosesTransferredFds() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true).withReceiveQueueCapacity(1)
			.withWriteQueueLimit(1 << 20);
		int before = OpenFds.count();
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			for (int i = 0; i < 100; i++) { // under MAX_QUEUED_FDS: all queue without waiting
				pair.first().compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.allocate(4000));
			}
			pair.first().abort();
			pair.first().closeFuture().get(10, TimeUnit.SECONDS);
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	@Test
	void descriptorsTakenWhileTheirChannelClosesAreAllStillOpenAndNoneLeaks() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		int before = OpenFds.count();
		for (int round = 0; round < 20; round++) {
			ImsgChannel.Pair pair = ImsgChannel.pair(options);
			List<Imsg> received = new ArrayList<>();
			for (int i = 0; i < 32; i++) {
				pair.first().compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
			}
			for (int i = 0; i < 32; i++) {
				Imsg m = pair.second().receive(WAIT);
				assertThat(m).as("message %d of round %d", i, round).isNotNull();
				received.add(m);
			}
			// The close (on another thread, then the loop: descriptors still held are made independent of the socket,
			// junixsocket's way) races with the takes here: whichever wins, each taken descriptor is the one sent.
			CompletableFuture<Void> closing = CompletableFuture.runAsync(pair.second()::close);
			for (Imsg m : received) {
				try (FileInputStream in = new FileInputStream(m.takeFd())) {
					assertThat(in.read()).as("/dev/null, still open").isEqualTo(-1);
				}
			}
			closing.get(10, TimeUnit.SECONDS);
			pair.first().close();
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	@Test
	void aChannelClosedAfterFlushingIsNotKeptUntilItsCloseTimeout() throws Exception {
		// The close timeout is a timer on the loop; it must not keep a channel that already closed (a peer that
		// connects and leaves in a loop would otherwise make the daemon hold every such connection for that long).
		WeakReference<ImsgChannel> closed = closeAfterFlushing(ChannelOptions.defaults().withCloseTimeout(Duration.ofHours(1)));
		// The loop may still be finishing the close with the channel in hand: collect until it lets go, within bounds.
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (closed.get() != null && System.nanoTime() < deadline) {
			System.gc();
		}
		assertThat(closed.get()).as("the closed channel, collected").isNull();
	}

	private static WeakReference<ImsgChannel> closeAfterFlushing(ChannelOptions options) throws Exception {
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			pair.first().compose(1, 0, 0, null);
			pair.first().closeWhenFlushed();
			pair.first().closeFuture().get(10, TimeUnit.SECONDS);
			try (Imsg m = pair.second().receive(WAIT)) {
				assertThat(m).isNotNull();
			}
			return new WeakReference<>(pair.first());
		}
	}

	@Test
	void closingAfterThePeerClosedStillClosesTheDescriptorsOfUntakenMessages() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		int before = OpenFds.count();
		ImsgChannel.Pair pair = ImsgChannel.pair(options);
		for (int i = 0; i < 20; i++) {
			pair.first().compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
		}
		pair.first().close();
		// The peer's close reaches the second end after its 20 messages: they wait for receive(), with their fds.
		pair.second().closeFuture().get(10, TimeUnit.SECONDS);
		try (Imsg first = pair.second().receive(WAIT)) {
			assertThat(first.hasFd()).isTrue();
		}
		pair.second().close();
		assertThat(OpenFds.awaitCount(before)).as("the 19 untaken messages' fds are closed").isEqualTo(before);
	}

	@Test
	void aWriteQueueHoldsAtMost128DescriptorsSoASlowReaderCannotExhaustThem() throws Exception {
		// The reader stops reading after one message; the byte limit alone (4 MiB) would allow 262144 fd messages.
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true).withReceiveQueueCapacity(1)
			.withSendTimeout(Duration.ZERO);
		int before = OpenFds.count();
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			int sent = 0;
			ImsgQueueFullException full = null;
			while (full == null && sent < 1_000_000) {
				OutboundFd fd = OutboundFd.openReadOnly(Path.of("/dev/null"));
				try {
					pair.first().compose(1, 0, 0, fd);
					sent++;
				}
				catch (ImsgQueueFullException ex) {
					Fds.close(fd.fd()); // a failed send leaves the descriptor with the caller
					full = ex;
				}
			}
			assertThat(full).as("the queue filled after %d messages", sent).isNotNull();
			assertThat(full).hasMessageContaining(ImsgChannel.MAX_QUEUED_FDS + " descriptors queued");
			assertThat(OpenFds.count() - before).as("descriptors held while the reader stalls")
				.isLessThan(4 * ImsgChannel.MAX_QUEUED_FDS + 600);
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	/**
	 * A message with a descriptor needs a {@code sendmsg} of its own, so the sending thread writes it when the queue
	 * is empty rather than wake the loop for it: it reaches the peer while the channel's loop is busy.
	 */
	@Test
	@org.junit.jupiter.api.Timeout(30)
	void aDescriptorMessageIsWrittenByItsSenderWhileTheLoopIsBusy() throws Exception {
		java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
		int before = OpenFds.count();
		try (ImsgEventLoops loops = new ImsgEventLoops(1, "busy");
				RawPeer peer = RawPeer.connect(ChannelOptions.defaults().withFdPassing(true).withEventLoops(loops),
						null)) {
			java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
			loops.next().execute(() -> {
				busy.countDown();
				try {
					release.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			});
			assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
			peer.channel.compose(9, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.wrap(new byte[] { 1 }));
			peer.socket.setAncillaryReceiveBufferSize(1024);
			ByteBuffer got = ByteBuffer.allocate(WireFormat.HEADER_SIZE + 1);
			while (got.hasRemaining() && peer.socket.read(got) >= 0) {
				// the raw end blocks until the bytes come (the loop cannot send them: it is busy)
			}
			java.io.FileDescriptor[] fds = peer.socket.getReceivedFileDescriptors();
			release.countDown();
			assertThat(got.hasRemaining()).isFalse();
			assertThat(got.order(java.nio.ByteOrder.nativeOrder()).getInt(0)).as("type").isEqualTo(9);
			assertThat(fds).hasSize(1);
			assertThat(Fds.target(fds[0])).contains(Path.of("/dev/null"));
			Fds.close(fds[0]);
		}
		finally {
			release.countDown();
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	/**
	 * Threads sending descriptors (each writing its own message when the queue is empty) while the channel is
	 * aborted: the socket is closed only after a write a thread already took has completed, so no {@code sendmsg}
	 * ever goes to the number after it was closed and reused, here by a bystander socket pair made at once.
	 * A guard of the behaviour over many rounds, not a way to hit the window on demand.
	 */
	@Test
	void aChannelAbortedWhileThreadsSendDescriptorsNeverWritesToItsNumberOnceClosed() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		int before = OpenFds.count();
		for (int round = 0; round < 100; round++) {
			try (ImsgChannel.Pair pair = ImsgChannel.pair(options, null, (ch, m) -> m.close())) {
				java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
				List<Thread> senders = new ArrayList<>();
				for (int t = 0; t < 2; t++) {
					Thread sender = new Thread(() -> {
						while (true) {
							OutboundFd fd = OutboundFd.openReadOnly(Path.of("/dev/null"));
							try {
								pair.first().compose(1, 0, 0, fd);
								sent.incrementAndGet();
							}
							catch (ImsgException ex) {
								fd.close(); // not queued: still the sender's
								return;
							}
						}
					});
					sender.start();
					senders.add(sender);
				}
				while (sent.get() < 20) {
					Thread.onSpinWait();
				}
				pair.first().abort();
				pair.first().closeFuture().handle((v, ex) -> null).get(10, TimeUnit.SECONDS);
				io.github.imsg4j.core.internal.Transport[] bystander = io.github.imsg4j.core.internal.SocketLayer.get()
					.pair(true);
				try {
					for (Thread sender : senders) {
						sender.join(10_000);
						assertThat(sender.isAlive()).isFalse();
					}
					ByteBuffer any = ByteBuffer.allocateDirect(64);
					for (io.github.imsg4j.core.internal.Transport end : bystander) {
						assertThat(end.read(any)).as("round %d: bytes reached a socket made after the close", round)
							.isEqualTo(0);
					}
				}
				finally {
					bystander[0].close();
					bystander[1].close();
				}
			}
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	@Test
	void openStreamsAndSocketChannelsLendTheirDescriptors() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		Path file = Files.writeString(this.dir.resolve("lent"), "lent");
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options);
				java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "r")) {
			pair.first().compose(1, 0, 0, OutboundFd.keepOpen(raf));
			assertThat(pair.first().flush(WAIT)).isTrue();
			try (Imsg m = pair.second().receive(WAIT); java.io.FileInputStream in = new java.io.FileInputStream(m.takeFd())) {
				assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("lent");
			}
			assertThat(raf.getFD().valid()).as("still the caller's").isTrue();
			try (ImsgServer server = ImsgServer.listen(this.dir.resolve("lend"), ChannelOptions.defaults());
					org.newsclub.net.unix.AFUNIXSocketChannel socket = org.newsclub.net.unix.AFUNIXSocketChannel
						.open(org.newsclub.net.unix.AFUNIXSocketAddress.of(server.path()))) {
				server.accept(WAIT).abort();
				pair.first().compose(2, 0, 0, OutboundFd.keepOpen(socket));
				assertThat(pair.first().flush(WAIT)).isTrue();
				try (Imsg m = pair.second().receive(WAIT)) {
					java.io.FileDescriptor fd = m.takeFd();
					assertThat(Fds.target(fd)).hasValueSatisfying((t) -> assertThat(t.toString()).startsWith("socket:"));
					Fds.close(fd);
				}
			}
			try (java.nio.channels.FileChannel jdk = java.nio.channels.FileChannel.open(file)) {
				assertThatThrownBy(() -> OutboundFd.keepOpen(jdk)).isInstanceOf(IllegalArgumentException.class)
					.hasMessageContaining("cannot reach the descriptor of a");
			}
		}
	}

	@Test
	void keepOpenLeavesTheFdWithTheCaller() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options);
				java.io.FileInputStream mine = new java.io.FileInputStream("/dev/null")) {
			pair.first().compose(1, 0, 0, OutboundFd.keepOpen(mine.getFD()));
			assertThat(pair.first().flush(WAIT)).isTrue();
			try (Imsg m = pair.second().receive(WAIT)) {
				Fds.close(m.takeFd());
			}
			assertThat(mine.getFD().valid()).as("still the caller's").isTrue();
			assertThat(mine.read()).isEqualTo(-1);
		}
	}

	@Test
	void serverReadsCredentialsBeforeAnyByteAndCanRefuse() throws Exception {
		Path sock = this.dir.resolve("s");
		CompletableFuture<PeerCredentials> seen = new CompletableFuture<>();
		try (ImsgServer server = ImsgServer.listen(sock, ChannelOptions.defaults(), peer -> {
			seen.complete(peer);
			return null;
		})) {
			try (ImsgChannel client = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
				PeerCredentials peer = seen.get(10, TimeUnit.SECONDS);
				assertThat(peer.pid()).isEqualTo(ProcessHandle.current().pid());
				assertThat(peer.groups()).contains(peer.gid());
				assertThatThrownBy(() -> client.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
				assertThat(client.peerCredentials().pid()).isEqualTo(ProcessHandle.current().pid());
			}
		}
		assertThat(sock).as("removed on close").doesNotExist();
	}

	@Test
	void serverAcceptsAndServesSeveralClients() {
		Path sock = this.dir.resolve("s");
		try (ImsgServer server = ImsgServer.listen(sock, ChannelOptions.defaults());
				ImsgChannel a = ImsgChannel.connect(sock, ChannelOptions.defaults());
				ImsgChannel b = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
			try (ImsgChannel sa = server.accept(WAIT); ImsgChannel sb = server.accept(WAIT)) {
				a.send(1, new byte[0]);
				b.send(2, new byte[0]);
				try (Imsg ma = sa.receive(WAIT); Imsg mb = sb.receive(WAIT)) {
					assertThat(ma.type() + mb.type()).isEqualTo(3);
				}
			}
		}
	}

	@Test
	void listenRefusesALiveServerAndANonSocketButReplacesAStaleSocket() throws IOException {
		Path sock = this.dir.resolve("s");
		try (ImsgServer live = ImsgServer.listen(sock, ChannelOptions.defaults())) {
			assertThatThrownBy(() -> ImsgServer.listen(sock, ChannelOptions.defaults())).isInstanceOf(ImsgIoException.class)
				.hasMessageContaining("another server is listening there");
		}
		Path file = Files.writeString(this.dir.resolve("f"), "keep me");
		assertThatThrownBy(() -> ImsgServer.listen(file, ChannelOptions.defaults()))
			.hasMessageContaining("is not a socket; not removing it");
		assertThat(file).hasContent("keep me");
		// a stale socket: bound, then its server gone without removing it
		SocketFilesTest.deadSocket(sock);
		assertThat(sock).exists();
		try (ImsgServer replaced = ImsgServer.listen(sock, ChannelOptions.defaults());
				ImsgChannel c = ImsgChannel.connect(sock, ChannelOptions.defaults());
				ImsgChannel s = replaced.accept(WAIT)) {
			assertThat(s).isNotNull();
		}
	}
}
