package io.github.imsg4j.core;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sockets a process is given rather than makes: systemd's socket activation, played by systemd's own
 * {@code systemd-socket-activate} starting a second JVM (a listening socket at fd 3, and in {@code --accept}
 * mode a connected one, as a privsep parent leaves one end of a socketpair), and the checks that say what a
 * descriptor is when it is not what imsg needs.
 */
@ExtendWith(OpenFds.class)
class InheritedSocketsTest {

	private static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

	private static final Duration WAIT = Duration.ofSeconds(30);

	@TempDir
	Path dir;

	@Test
	void theEnvironmentSaysWhichSocketsWerePassed() {
		long pid = 4242;
		List<InheritedSockets.Activated> two = InheritedSockets.activated(
				Map.of("LISTEN_FDS", "2", "LISTEN_PID", "4242", "LISTEN_FDNAMES", "control:data"), pid);
		assertThat(two).containsExactly(new InheritedSockets.Activated(3, "control"),
				new InheritedSockets.Activated(4, "data"));
		assertThat(InheritedSockets.activated(two, "data")).isEqualTo(4);
		assertThat(InheritedSockets.activated(InheritedSockets.activated(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "4242"),
				pid), null)).isEqualTo(3);
		assertThatThrownBy(() -> InheritedSockets.activated(two, null)).hasMessageContaining("say which by its FileDescriptorName");
		assertThatThrownBy(() -> InheritedSockets.activated(two, "nope"))
			.hasMessageContaining("no socket named 'nope'").hasMessageContaining("[control, data]");
		assertThatThrownBy(() -> InheritedSockets.activated(Map.of(), pid)).hasMessageContaining("LISTEN_FDS is not set");
		assertThatThrownBy(() -> InheritedSockets.activated(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "1"), pid))
			.hasMessageContaining("LISTEN_PID is '1', not this process's pid 4242");
		assertThatThrownBy(() -> InheritedSockets.activated(Map.of("LISTEN_FDS", "x", "LISTEN_PID", "4242"), pid))
			.hasMessageContaining("'x', not a number");
		assertThatThrownBy(() -> ImsgServer.activated(null, ChannelOptions.defaults(), null))
			.isInstanceOf(ImsgIoException.class).hasMessageContaining("not socket-activated");
	}

	@Test
	void aDescriptorThatIsNotWhatImsgNeedsIsRefusedSayingWhatItIs() throws Exception {
		try (FileInputStream file = new FileInputStream("/dev/null")) {
			int n = FileDescriptorCast.using(file.getFD()).as(Integer.class);
			assertThatThrownBy(() -> ImsgChannel.inherited(n, ChannelOptions.defaults(), null))
				.hasMessageContaining("descriptor " + n + " is not a socket (it is /dev/null)");
		}
		Map<String, String> before = OpenFds.listing();
		try (ImsgServer listening = ImsgServer.listen(this.dir.resolve("l"), ChannelOptions.defaults())) {
			// the one socket the server opened is its listening socket
			Map<String, String> now = OpenFds.listing();
			now.entrySet().removeAll(before.entrySet());
			now.values().removeIf((target) -> !target.startsWith("socket:"));
			assertThat(now).hasSize(1);
			int n = Integer.parseInt(now.keySet().iterator().next());
			assertThatThrownBy(() -> ImsgChannel.inherited(n, ChannelOptions.defaults(), null))
				.hasMessageContaining("not connected (it is listening: use ImsgServer.inherited)");
		}
		try (ImsgServer server = ImsgServer.listen(this.dir.resolve("c"), ChannelOptions.defaults());
				AFUNIXSocketChannel connected = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(server.path()))) {
			int n = FileDescriptorCast.using(connected.getFileDescriptor()).as(Integer.class);
			assertThatThrownBy(() -> ImsgServer.inherited(n, ChannelOptions.defaults(), null))
				.hasMessageContaining("is an AF_UNIX stream socket that is not listening");
			server.accept(WAIT).abort();
		}
		assertThatThrownBy(() -> ImsgChannel.inherited(999, ChannelOptions.defaults(), null))
			.hasMessageContaining("descriptor 999 is not open");
	}

	@Test
	void aConnectedSocketHandedOverBecomesAChannel() throws Exception {
		try (ImsgServer server = ImsgServer.listen(this.dir.resolve("s"), ChannelOptions.defaults());
				AFUNIXSocketChannel raw = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(server.path()))) {
			// The descriptor is handed over as across exec: the channel gets a copy of its own.
			java.io.FileDescriptor copy = FileDescriptorCast.duplicating(raw.getFileDescriptor()).as(java.io.FileDescriptor.class);
			try (ImsgChannel client = ImsgChannel.inherited(copy, ChannelOptions.defaults(), null);
					ImsgChannel accepted = server.accept(WAIT)) {
				assertThat(accepted).isNotNull();
				assertThat(client.peerCredentials().pid()).isEqualTo(ProcessHandle.current().pid());
				client.send(1, new byte[] { 9 });
				try (Imsg m = accepted.receive(WAIT)) {
					assertThat(m.bytes()).containsExactly(9);
				}
			}
		}
	}

	@Test
	void systemdSocketActivationServesClients() throws Exception {
		Assumptions.assumeTrue(Files.isExecutable(ACTIVATE), ACTIVATE + " not installed (Debian package systemd)");
		Path sock = this.dir.resolve("activated.sock");
		Process activator = new ProcessBuilder(activate("-l", sock.toString(), "--fdname=control", ActivatedMain.class,
				"control")).redirectErrorStream(true).redirectOutput(this.dir.resolve("out").toFile()).start();
		try {
			awaitFile(sock);
			// The first connection makes systemd-socket-activate exec the JVM with the socket at fd 3.
			for (int i = 0; i < 3; i++) {
				try (ImsgChannel c = connectOnceListening(sock)) {
					c.send(1, new byte[] { (byte) i });
					try (Imsg reply = c.receive(WAIT)) {
						assertThat(reply).as(Files.readString(this.dir.resolve("out"))).isNotNull();
						assertThat(reply.type()).isEqualTo(2);
						assertThat(reply.bytes()).containsExactly(i);
					}
				}
			}
		}
		finally {
			activator.destroyForcibly().waitFor();
		}
		assertThat(sock).as("systemd's socket file is not ours to remove").exists();
	}

	@Test
	void aConnectionAcceptedForAChildIsItsChannel() throws Exception {
		Assumptions.assumeTrue(Files.isExecutable(ACTIVATE), ACTIVATE + " not installed (Debian package systemd)");
		Path sock = this.dir.resolve("accept.sock");
		Process activator = new ProcessBuilder(activate("--accept", "-l", sock.toString(), InheritedChildMain.class))
			.redirectErrorStream(true).redirectOutput(this.dir.resolve("out").toFile()).start();
		try {
			awaitFile(sock);
			try (ImsgChannel c = connectOnceListening(sock)) {
				c.send(1, "hello child".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
				try (Imsg reply = c.receive(WAIT)) {
					assertThat(reply).as(Files.readString(this.dir.resolve("out"))).isNotNull();
					assertThat(new String(reply.bytes(), java.nio.charset.StandardCharsets.US_ASCII))
						.isEqualTo("fd 3 says: hello child");
				}
			}
		}
		finally {
			activator.destroyForcibly().waitFor();
		}
	}

	private static List<String> activate(Object... args) throws IOException {
		List<String> cmd = new ArrayList<>(List.of(ACTIVATE.toString()));
		for (Object a : args) {
			if (a instanceof Class<?> main) {
				cmd.addAll(TestJvm.command(main));
			}
			else {
				cmd.add(a.toString());
			}
		}
		return cmd;
	}

	/**
	 * Connects, retrying while the connection is refused: systemd-socket-activate binds (the file appears) before
	 * it listens, and a connect in between is refused. A probe connection instead would start the service.
	 */
	private static ImsgChannel connectOnceListening(Path sock) {
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (true) {
			try {
				return ImsgChannel.connect(sock, ChannelOptions.defaults());
			}
			catch (ImsgIoException ex) {
				if (!(ex.getCause() instanceof java.net.ConnectException) || System.nanoTime() > deadline) {
					throw ex;
				}
				Thread.yield();
			}
		}
	}

	private static void awaitFile(Path p) {
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (!Files.exists(p)) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError(p + " did not appear");
			}
			Thread.yield();
		}
	}

	/** A socket-activated echo server: type 1 answered with type 2 and the same payload. */
	public static final class ActivatedMain {

		private ActivatedMain() {
		}

		/**
		 * @param args the socket's FileDescriptorName
		 * @throws InterruptedException never, in practice
		 */
		public static void main(String[] args) throws InterruptedException {
			try (ImsgServer server = ImsgServer.activated(args[0], ChannelOptions.defaults(), (peer) -> (ch, m) -> {
				try (m) {
					ch.compose(2, 0, 0, null, m.payload());
				}
			})) {
				System.out.println("serving " + server.path());
				new CountDownLatch(1).await();
			}
		}
	}

	/** A child given its connection at fd 3: answers one message, then exits. */
	public static final class InheritedChildMain {

		private InheritedChildMain() {
		}

		/**
		 * @param args none
		 */
		public static void main(String[] args) {
			try (ImsgChannel parent = ImsgChannel.inherited(3, ChannelOptions.defaults(), null)) {
				try (Imsg m = parent.receive(WAIT)) {
					byte[] text = ("fd 3 says: " + new String(m.bytes(), java.nio.charset.StandardCharsets.US_ASCII))
						.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
					parent.compose(2, 0, 0, null, ByteBuffer.wrap(text));
				}
			}
		}
	}
}
