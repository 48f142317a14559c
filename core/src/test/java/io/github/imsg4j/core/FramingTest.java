package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The receiver's side of the wire, both generations, against bytes and descriptors written raw onto a real
 * socket: header length boundaries, fd flags with and without descriptors, descriptors nobody claims,
 * splits at every offset, and peers that stop mid-message.
 */
@ExtendWith(OpenFds.class)
class FramingTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	static final ChannelOptions FDS = ChannelOptions.defaults().withFdPassing(true);

	static Path fileA;

	static Path fileB;

	static Path fileC;

	@BeforeAll
	static void files() throws IOException {
		fileA = Files.createTempFile("imsg4j-a", ".txt");
		Files.writeString(fileA, "A");
		fileB = Files.writeString(Files.createTempFile("imsg4j-b", ".txt"), "B");
		fileC = Files.writeString(Files.createTempFile("imsg4j-c", ".txt"), "C");
	}

	@AfterAll
	static void removeFiles() throws IOException {
		Files.delete(fileA);
		Files.delete(fileB);
		Files.delete(fileC);
	}

	static FileDescriptor open(Path p) throws IOException {
		return new FileInputStream(p.toFile()).getFD();
	}

	static String contentOf(FileDescriptor fd) throws IOException {
		try (FileInputStream in = new FileInputStream(fd)) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

	static ImsgException awaitFailure(ImsgChannel ch) throws InterruptedException, TimeoutException {
		try {
			ch.closeFuture().get(10, TimeUnit.SECONDS);
		}
		catch (ExecutionException ex) {
			return (ImsgException) ex.getCause();
		}
		throw new AssertionError("channel closed without an error");
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void lengthBelowTheHeaderIsAProtocolErrorThatClosesOnlyThisConnection(WireFormat wire) throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire);
		try (RawPeer bad = RawPeer.connect(options, null); RawPeer good = RawPeer.connect(options, null)) {
			bad.write(RawPeer.concat(RawPeer.message(wire, 5, false, new byte[] { 1 }),
					RawPeer.message(wire, 6, 15, false, 0, 1, new byte[0])));
			good.write(RawPeer.message(wire, 7, false, new byte[0]));
			try (Imsg first = bad.channel.receive(WAIT)) {
				assertThat(first.type()).as("the message before the bad header is delivered").isEqualTo(5);
			}
			assertThat(awaitFailure(bad.channel)).isInstanceOf(ImsgProtocolException.class)
				.hasMessageContaining("len 15 is below the 16-byte header")
				.hasMessageContaining("type=6");
			assertThatThrownBy(() -> bad.channel.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
			try (Imsg other = good.channel.receive(WAIT)) {
				assertThat(other.type()).isEqualTo(7);
			}
			assertThat(good.channel.isOpen()).isTrue();
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void lengthOfExactlyTheHeaderIsAnEmptyMessage(WireFormat wire) throws Exception {
		try (RawPeer p = RawPeer.connect(ChannelOptions.defaults().withWireFormat(wire), null)) {
			p.write(RawPeer.message(wire, 1, 16, false, 99, 42, new byte[0]));
			try (Imsg m = p.channel.receive(WAIT)) {
				assertThat(m.length()).isZero();
				assertThat(m.peerId()).isEqualTo(99);
				assertThat(m.pid()).isEqualTo(42);
			}
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void lengthAtTheMaximumIsAcceptedAndOneMoreIsNot(WireFormat wire) throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire);
		int max = options.maxMessageSize();
		try (RawPeer p = RawPeer.connect(options, null)) {
			p.write(RawPeer.message(wire, 1, false, new byte[max - 16]));
			try (Imsg m = p.channel.receive(WAIT)) {
				assertThat(m.length()).isEqualTo(max - 16);
			}
			p.write(RawPeer.message(wire, 2, false, new byte[max - 15]));
			assertThat(awaitFailure(p.channel)).isInstanceOf(ImsgProtocolException.class)
				.hasMessageContaining("len " + (max + 1) + " is above the channel's maximum of " + max);
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void aConfiguredMaximumIsEnforcedOnReceive(WireFormat wire) throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire).withMaxMessageSize(100);
		try (RawPeer p = RawPeer.connect(options, null)) {
			p.write(RawPeer.message(wire, 1, false, new byte[84]));
			try (Imsg m = p.channel.receive(WAIT)) {
				assertThat(m.length()).isEqualTo(84);
			}
			p.write(RawPeer.message(wire, 2, false, new byte[85]));
			assertThat(awaitFailure(p.channel)).hasMessageContaining("len 101 is above the channel's maximum of 100");
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void fdFlagWithAndWithoutADescriptor(WireFormat wire) throws Exception {
		try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
			p.write(RawPeer.message(wire, 1, true, new byte[] { 1 }), open(fileA));
			p.write(RawPeer.message(wire, 2, true, new byte[] { 2 }));
			p.write(RawPeer.message(wire, 3, false, new byte[] { 3 }));
			try (Imsg withFd = p.channel.receive(WAIT); Imsg claimedButMissing = p.channel.receive(WAIT);
					Imsg plain = p.channel.receive(WAIT)) {
				assertThat(contentOf(withFd.takeFd())).isEqualTo("A");
				assertThat(claimedButMissing.fdLost()).isTrue();
				assertThatThrownBy(claimedButMissing::takeFd).isInstanceOf(ImsgFdException.class)
					.hasMessageContaining("message type 2")
					.hasMessageContaining("never arrived");
				assertThat(plain.claimsFd()).isFalse();
				assertThatThrownBy(plain::takeFd).hasMessageContaining("carries no file descriptor");
			}
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void aDescriptorNoMessageClaimsIsClosed(WireFormat wire) throws Exception {
		int before = OpenFds.count();
		try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
			// a descriptor on a message that does not claim one, then a claiming message without one
			p.write(RawPeer.message(wire, 1, false, new byte[] { 1 }), open(fileA));
			p.write(RawPeer.message(wire, 2, true, new byte[] { 2 }));
			try (Imsg m1 = p.channel.receive(WAIT); Imsg m2 = p.channel.receive(WAIT)) {
				assertThat(m1.hasFd()).isFalse();
				assertThat(m2.fdLost()).as("an earlier read's descriptor is not given to a later message").isTrue();
			}
		}
		assertThat(OpenFds.awaitCount(before)).isEqualTo(before);
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void extraDescriptorsInOneSendAreClosedAndTheFirstIsKept(WireFormat wire) throws Exception {
		try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
			p.write(RawPeer.message(wire, 1, true, new byte[0]), open(fileA), open(fileB), open(fileC));
			try (Imsg m = p.channel.receive(WAIT)) {
				assertThat(contentOf(m.takeFd())).isEqualTo("A");
			}
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void severalFdCarryingMessagesEachGetTheirOwnDescriptor(WireFormat wire) throws Exception {
		List<Imsg> got = new ArrayList<>();
		CompletableFuture<List<Imsg>> all = new CompletableFuture<>();
		ImsgListener listener = new ImsgListener() {
			@Override
			public void onMessage(ImsgChannel channel, Imsg message) {
				got.add(message);
				if (got.size() == 4) {
					all.complete(got);
				}
			}
		};
		try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), listener)) {
			// Everything is in the socket before the channel reads: the reads see all of it at once.
			p.write(RawPeer.message(wire, 1, true, new byte[] { 1 }), open(fileA));
			p.write(RawPeer.concat(RawPeer.message(wire, 2, true, new byte[] { 2 }),
					RawPeer.message(wire, 3, false, new byte[] { 3 })), open(fileB));
			p.write(RawPeer.message(wire, 4, true, new byte[] { 4 }), open(fileC));
			List<Imsg> messages = all.get(10, TimeUnit.SECONDS);
			assertThat(contentOf(messages.get(0).takeFd())).isEqualTo("A");
			assertThat(contentOf(messages.get(1).takeFd())).isEqualTo("B");
			assertThat(messages.get(2).hasFd()).isFalse();
			assertThat(contentOf(messages.get(3).takeFd())).isEqualTo("C");
			messages.forEach(Imsg::close);
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void messagesSplitAcrossReadsAtEveryOffset(WireFormat wire) throws Exception {
		byte[] first = RawPeer.message(wire, 10, false, "hello".getBytes(StandardCharsets.UTF_8));
		byte[] second = RawPeer.message(wire, 11, true, "fd!".getBytes(StandardCharsets.UTF_8));
		byte[] both = RawPeer.concat(first, second);
		try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
			long sent = 0;
			for (int split = 1; split < both.length; split++) {
				// The second message's descriptor goes with the write that holds its first byte.
				boolean fdInFirstWrite = split > first.length;
				p.write(both, 0, split, fdInFirstWrite ? new FileDescriptor[] { open(fileB) } : new FileDescriptor[0]);
				sent += split;
				awaitBytes(p.channel, sent);
				p.write(both, split, both.length,
						fdInFirstWrite ? new FileDescriptor[0] : new FileDescriptor[] { open(fileB) });
				sent += both.length - split;
				try (Imsg a = p.channel.receive(WAIT); Imsg b = p.channel.receive(WAIT)) {
					assertThat(a.type()).as("split at %d", split).isEqualTo(10);
					assertThat(new String(a.bytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
					assertThat(a.hasFd()).isFalse();
					assertThat(b.type()).isEqualTo(11);
					assertThat(new String(b.bytes(), StandardCharsets.UTF_8)).isEqualTo("fd!");
					assertThat(contentOf(b.takeFd())).as("split at %d", split).isEqualTo("B");
				}
			}
		}
	}

	/** Waits until the channel has read {@code n} bytes, so that the next write lands in a later read. */
	static void awaitBytes(ImsgChannel ch, long n) {
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (ch.bytesReceived() < n) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("channel read " + ch.bytesReceived() + " of " + n + " bytes");
			}
			Thread.onSpinWait();
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void peerClosingMidMessageIsReported(WireFormat wire) throws Exception {
		for (int cut : new int[] { 5, 16, 20 }) {
			try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
				byte[] m = RawPeer.message(wire, 1, true, new byte[10]);
				p.write(m, 0, cut, open(fileA));
				p.socket.close();
				assertThat(awaitFailure(p.channel)).isInstanceOf(ImsgProtocolException.class)
					.hasMessageContaining("connection closed in the middle of a message (" + cut + " bytes");
			}
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void peerClosingBetweenMessagesIsAnOrderlyEnd(WireFormat wire) throws Exception {
		try (RawPeer p = RawPeer.connect(ChannelOptions.defaults().withWireFormat(wire), null)) {
			p.write(RawPeer.message(wire, 1, false, new byte[3]));
			p.socket.close();
			p.channel.closeFuture().get(10, TimeUnit.SECONDS);
			try (Imsg m = p.channel.receive(WAIT)) {
				assertThat(m.type()).isEqualTo(1);
			}
			assertThatThrownBy(() -> p.channel.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
		}
	}

	/**
	 * A peer that writes and hangs up at once, many times over: everything it wrote is delivered before the end,
	 * with its descriptor. This is the race between the selector seeing POLLHUP and the channel reading what is
	 * still queued, which junixsocket's selector could lose (docs/architecture.md).
	 */
	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void everythingWrittenBeforeAHangUpIsDelivered(WireFormat wire) throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
		byte[] burst = new byte[0];
		for (int i = 0; i < 50; i++) {
			burst = RawPeer.concat(burst, RawPeer.message(wire, i + 1, i == 0, new byte[i]));
		}
		for (int round = 0; round < 200; round++) {
			try (RawPeer p = RawPeer.connect(options, null)) {
				try (FileInputStream devNull = new FileInputStream("/dev/null")) {
					p.write(burst, devNull.getFD());
				}
				p.socket.close();
				for (int i = 0; i < 50; i++) {
					try (Imsg m = p.channel.receive(WAIT)) {
						assertThat(m).as("round %d, message %d", round, i).isNotNull();
						assertThat(m.type()).isEqualTo(i + 1);
						assertThat(m.length()).isEqualTo(i);
						assertThat(m.hasFd()).isEqualTo(i == 0);
					}
				}
				assertThatThrownBy(() -> p.channel.receive(WAIT)).isInstanceOf(ImsgClosedException.class);
			}
		}
	}

	/**
	 * A received descriptor stays registered with junixsocket's socket until the message's owner takes it; the
	 * socket closing (here: the peer sends a file and exits) must not take it away from a message still held.
	 * A second message's descriptor, never taken, is closed with its message.
	 */
	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void aDescriptorOutlivesTheSocketItCameOn(WireFormat wire) throws Exception {
		Path file = Files.createTempFile("imsg4j-fd", ".txt");
		try {
			Files.writeString(file, "sent before the hang-up");
			try (RawPeer p = RawPeer.connect(ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true), null)) {
				try (FileInputStream in = new FileInputStream(file.toFile())) {
					p.write(RawPeer.message(wire, 1, true, new byte[0]), in.getFD());
				}
				try (FileInputStream in = new FileInputStream(file.toFile())) {
					p.write(RawPeer.message(wire, 2, true, new byte[0]), in.getFD());
				}
				p.socket.close();
				p.channel.closeFuture().get(10, TimeUnit.SECONDS); // the channel's socket is closed now
				try (Imsg first = p.channel.receive(WAIT); Imsg second = p.channel.receive(WAIT)) {
					assertThat(first.type()).isEqualTo(1);
					assertThat(second.hasFd()).isTrue();
					try (FileInputStream taken = new FileInputStream(first.takeFd())) {
						assertThat(new String(taken.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("sent before the hang-up");
					}
				}
			}
		}
		finally {
			Files.delete(file);
		}
	}
}
