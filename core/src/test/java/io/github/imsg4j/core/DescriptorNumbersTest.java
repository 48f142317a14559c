package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.internal.JunixInternals;
import io.github.imsg4j.core.internal.SocketLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Descriptor numbers to objects and back, which the FFM transport needs for every descriptor it hands to the
 * application or sends from one: one JNI call each through junixsocket's {@code NativeUnixSocket}, reached by
 * reflection. Fails if a junixsocket upgrade moves them (the fallback then costs two system calls per
 * descriptor: see docs/architecture.md).
 */
@ExtendWith(OpenFds.class)
class DescriptorNumbersTest {

	@Test
	void aNumberBecomesAnObjectForTheSameOpenFileAndBack() throws Exception {
		assertThat(JunixInternals.directDescriptorAccess()).as("NativeUnixSocket.getFD/initFD reachable").isTrue();
		try (FileInputStream in = new FileInputStream("/dev/null")) {
			int n = JunixInternals.numberOf(in.getFD());
			assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + n))).isEqualTo(Path.of("/dev/null"));
			FileDescriptor again = JunixInternals.objectOf(n);
			assertThat(again.valid()).isTrue();
			assertThat(JunixInternals.numberOf(again)).isEqualTo(n);
		}
	}

	/**
	 * {@link OutboundFd#openReadOnly} and received descriptors are closed by the socket layer directly (one
	 * {@code close(2)} on FFM, no JDK stream): the object is invalid afterwards, and every descriptor is gone.
	 */
	@Test
	void descriptorsTheLayerMadeAreClosedByIt(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
		// A file of this test's own: another thread of the JVM may get the freed number at once, but not this file.
		Path own = Files.createFile(dir.resolve("only-this-test-opens-me"));
		FileDescriptor opened = SocketLayer.get().openReadOnly(own).object();
		int n = JunixInternals.numberOf(opened);
		Path entry = Path.of("/proc/self/fd/" + n);
		assertThat(Files.readSymbolicLink(entry)).isEqualTo(own);
		SocketLayer.get().closeOwn(opened);
		assertThat(opened.valid()).isFalse();
		assertThat(!Files.exists(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)
				|| !Files.readSymbolicLink(entry).equals(own)).as("the number no longer names the file").isTrue();
		SocketLayer.get().closeOwn(opened); // twice: nothing happens

		try (ImsgChannel.Pair pair = ImsgChannel.pair(ChannelOptions.defaults().withFdPassing(true))) {
			for (int i = 0; i < 100; i++) {
				pair.first().compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), java.nio.ByteBuffer.allocate(8));
			}
			pair.first().flush();
			for (int i = 0; i < 100; i++) {
				try (Imsg m = pair.second().receive(Duration.ofSeconds(10))) {
					assertThat(m).isNotNull();
					assertThat(m.hasFd()).isTrue();
				}
			}
			assertThat(pair.first().flush(Duration.ofSeconds(10))).isTrue();
		}
		// OpenFds: the 100 sent, the 100 received and the socket pair are all closed
	}

	/** {@link OutboundFd#forwardFrom}: a received descriptor passed on, closed once sent, nothing left behind. */
	@Test
	void aReceivedDescriptorIsForwardedAndClosedOnceSent() throws Exception {
		ChannelOptions fds = ChannelOptions.defaults().withFdPassing(true);
		try (ImsgChannel.Pair in = ImsgChannel.pair(fds); ImsgChannel.Pair out = ImsgChannel.pair(fds)) {
			for (int i = 0; i < 50; i++) {
				in.first().compose(1, i, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), java.nio.ByteBuffer.allocate(4));
			}
			for (int i = 0; i < 50; i++) {
				try (Imsg m = in.second().receive(Duration.ofSeconds(10))) {
					assertThat(m).isNotNull();
					OutboundFd passOn = OutboundFd.forwardFrom(m);
					assertThat(passOn.madeHere()).isTrue();
					assertThat(m.hasFd()).isFalse();
					out.first().compose(m.type(), m.peerId(), m.pid(), passOn, m.payload());
				}
			}
			for (int i = 0; i < 50; i++) {
				try (Imsg m = out.second().receive(Duration.ofSeconds(10))) {
					assertThat(m).isNotNull();
					assertThat(m.peerId()).isEqualTo(i);
					FileDescriptor fd = m.takeFd();
					assertThat(Fds.target(fd)).contains(Path.of("/dev/null"));
					Fds.close(fd);
				}
			}
			assertThat(out.first().flush(Duration.ofSeconds(10))).isTrue();
			try (Imsg none = new Imsg("test", 1, 0, 0, java.nio.ByteBuffer.allocate(0), false, null)) {
				org.assertj.core.api.Assertions.assertThatThrownBy(() -> OutboundFd.forwardFrom(none))
					.isInstanceOf(ImsgFdException.class);
			}
		}
	}

	/**
	 * A descriptor the layer opened or received goes on as the number it is; asking for its object still works,
	 * and that object is invalid once the channel has sent and closed the descriptor (closed once, not twice).
	 */
	@Test
	void theObjectOfADescriptorTheLayerMadeIsValidUntilTheChannelClosesIt() throws Exception {
		ChannelOptions fds = ChannelOptions.defaults().withFdPassing(true);
		try (ImsgChannel.Pair pair = ImsgChannel.pair(fds)) {
			OutboundFd opened = OutboundFd.openReadOnly(Path.of("/dev/null"));
			FileDescriptor object = opened.fd();
			assertThat(opened.fd()).isSameAs(object);
			assertThat(Fds.target(object)).contains(Path.of("/dev/null"));
			pair.first().compose(1, 0, 0, opened);
			assertThat(pair.first().flush(Duration.ofSeconds(10))).isTrue();
			assertThat(object.valid()).as("closed by the channel once sent").isFalse();

			FileDescriptor forwardedObject;
			try (Imsg m = pair.second().receive(Duration.ofSeconds(10))) {
				assertThat(m).isNotNull();
				OutboundFd forwarded = OutboundFd.forwardFrom(m);
				forwardedObject = forwarded.fd();
				assertThat(Fds.target(forwardedObject)).contains(Path.of("/dev/null"));
				pair.second().compose(2, 0, 0, forwarded);
			}
			assertThat(pair.second().flush(Duration.ofSeconds(10))).isTrue();
			assertThat(forwardedObject.valid()).isFalse();
			try (Imsg back = pair.first().receive(Duration.ofSeconds(10))) {
				assertThat(back).isNotNull();
				assertThat(back.hasFd()).isTrue();
				FileDescriptor fd = back.takeFd();
				assertThat(Fds.target(fd)).contains(Path.of("/dev/null"));
				Fds.close(fd);
				assertThatThrownBy(() -> OutboundFd.forwardFrom(back)).isInstanceOf(ImsgFdException.class)
					.hasMessageContaining("already taken");
			}
		}
		// OpenFds: nothing left open
	}
}
