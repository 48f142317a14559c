package io.github.imsg4j.spring.test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.ImsgStruct;
import io.github.imsg4j.spring.StructCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FakeImsgDaemon} answers as a real daemon does: a struct, a descriptor, several replies, none, a hang-up;
 * and it shows what the client sent, descriptor included. The descriptor count is back where it started.
 */
@ExtendWith(OpenFds.class)
class FakeImsgDaemonTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	/** The demo's STATS reply. */
	@ImsgStruct
	public record Stats(long opened, long denied, long pings) {
	}

	@Test
	void answersWithStructsDescriptorsSeveralRepliesNoneOrAHangUp() throws Exception {
		Path file = Files.writeString(this.dir.resolve("given.txt"), "x");
		try (FakeImsgDaemon daemon = FakeImsgDaemon.start()
			.on(1, (r) -> ImsgReply.of(2, new Stats(3, 9, 3)))
			.on(3, (r) -> ImsgReply.of(4, "here").withFd(OutboundFd.openReadOnly(file)))
			.on(5, (r) -> List.of(ImsgReply.of(6, "one"), ImsgReply.of(6, "two").withPeerId(42)))
			.on(7, (r) -> null)
			.on(9, (r) -> FakeImsgDaemon.HANG_UP);
				ImsgChannel ch = ImsgChannel.connect(daemon.path(), ChannelOptions.defaults().withFdPassing(true))) {
			ch.compose(1, 5, 0, null, ByteBuffer.allocate(0));
			try (Imsg m = ch.receive(WAIT)) {
				assertThat(m.type()).isEqualTo(2);
				assertThat(m.peerId()).as("the request's peer id").isEqualTo(5);
				assertThat(StructCodec.of(Stats.class).decode(m.reader())).isEqualTo(new Stats(3, 9, 3));
			}
			ch.compose(3, 0, 0, OutboundFd.openReadOnly(file), ByteBuffer.allocate(0));
			try (Imsg m = ch.receive(WAIT)) {
				assertThat(m.type()).isEqualTo(4);
				java.io.FileDescriptor fd = m.takeFd();
				assertThat(Fds.target(fd)).contains(file.toRealPath());
				Fds.close(fd);
			}
			assertThat(daemon.awaitMessage(WAIT).hadFd()).isFalse();
			assertThat(daemon.awaitMessage(WAIT).fd()).as("what the client's descriptor named")
				.isEqualTo(file.toRealPath().toString());
			ch.compose(5, 8, 0, null, ByteBuffer.allocate(0));
			try (Imsg a = ch.receive(WAIT); Imsg b = ch.receive(WAIT)) {
				assertThat(List.of(a.peerId(), b.peerId())).containsExactly(8, 42);
			}
			ch.compose(7, 0, 0, null, ByteBuffer.allocate(0));
			ch.compose(9, 0, 0, null, ByteBuffer.allocate(0));
			// no answer to 7; 9 hangs up: the end of the stream, with nothing before it
			org.assertj.core.api.Assertions.assertThatThrownBy(() -> ch.receive(WAIT))
				.isInstanceOf(io.github.imsg4j.core.ImsgClosedException.class);
			assertThat(daemon.received()).extracting(FakeImsgDaemon.Received::type).containsExactly(1, 3, 5, 7, 9);
		}
	}
}
