package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(OpenFds.class)
class ChannelPairTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void messagesArriveInOrderWithHeaderFields(WireFormat wire) {
		try (ImsgChannel.Pair pair = ImsgChannel.pair(ChannelOptions.defaults().withWireFormat(wire))) {
			for (int i = 0; i < 1000; i++) {
				pair.first().compose(i, 7, 42, null, ByteBuffer.wrap(("m" + i).getBytes(StandardCharsets.UTF_8)));
			}
			for (int i = 0; i < 1000; i++) {
				try (Imsg m = pair.second().receive(WAIT)) {
					assertThat(m).isNotNull();
					assertThat(m.type()).isEqualTo(i);
					assertThat(m.peerId()).isEqualTo(7);
					assertThat(m.pid()).isEqualTo(42);
					assertThat(new String(m.bytes(), StandardCharsets.UTF_8)).isEqualTo("m" + i);
					assertThat(m.claimsFd()).isFalse();
				}
			}
		}
	}

	@Test
	void pidZeroBecomesOwnPid() {
		try (ImsgChannel.Pair pair = ImsgChannel.pair(ChannelOptions.defaults())) {
			pair.first().send(3, new byte[0]);
			try (Imsg m = pair.second().receive(WAIT)) {
				assertThat(m.pid()).isEqualTo((int) ProcessHandle.current().pid());
				assertThat(m.length()).isZero();
			}
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void fdTravelsWithItsMessageAndIsOwnedByTheTaker(WireFormat wire) throws Exception {
		Path file = Files.writeString(this.dir.resolve("f"), "hello fd");
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			pair.first().compose(9, 0, 0, OutboundFd.openReadOnly(file), ByteBuffer.wrap(new byte[] { 1, 2 }));
			try (Imsg m = pair.second().receive(WAIT)) {
				assertThat(m.claimsFd()).isTrue();
				assertThat(m.hasFd()).isTrue();
				FileDescriptor fd = m.takeFd();
				try (FileInputStream in = new FileInputStream(fd)) {
					assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello fd");
				}
				assertThatThrownBy(m::takeFd).isInstanceOf(ImsgFdException.class).hasMessageContaining("already taken");
			}
		}
	}

	/**
	 * A message taken before its channel closed keeps its descriptor: the channel's close does not close it. On
	 * junixsocket, which closes every received descriptor still registered with the socket, the transport makes it
	 * independent first (in its release); on the FFM layer it was never tied. A real file is read through it after
	 * the close, and OpenFds checks that nothing else stays open.
	 */
	@Test
	void aDescriptorHeldByAMessageOutlivesItsChannelsClose() throws Exception {
		Path file = Files.writeString(this.dir.resolve("kept"), "still here");
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		Imsg held;
		try (ImsgChannel.Pair pair = ImsgChannel.pair(options)) {
			pair.first().compose(9, 0, 0, OutboundFd.openReadOnly(file), ByteBuffer.allocate(4));
			pair.first().compose(9, 0, 0, OutboundFd.openReadOnly(file), ByteBuffer.allocate(4));
			held = pair.second().receive(WAIT);
			assertThat(held).isNotNull();
			try (Imsg dropped = pair.second().receive(WAIT)) {
				assertThat(dropped.hasFd()).isTrue(); // closed unread by try-with-resources
			}
			pair.second().abort();
			assertThat(pair.second().closeFuture()).isDone();
		}
		try (Imsg m = held) {
			FileDescriptor fd = m.takeFd();
			try (FileInputStream in = new FileInputStream(fd)) {
				assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("still here");
			}
		}
	}

	@Test
	void fdRefusedWhenFdPassingIsOffAndTheMessageSaysSo() {
		try (ImsgChannel.Pair pair = ImsgChannel.pair(ChannelOptions.defaults())) {
			pair.first().compose(9, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
			try (Imsg m = pair.second().receive(WAIT)) {
				assertThat(m.claimsFd()).isTrue();
				assertThat(m.fdLost()).isTrue();
				assertThatThrownBy(m::takeFd).isInstanceOf(ImsgFdException.class)
					.hasMessageContaining("claimed a file descriptor that never arrived");
			}
		}
	}
}
