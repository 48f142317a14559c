package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The socket file's rules: mode {@code 0600} unless told otherwise, never more open than configured; only a
 * dead socket of ours is ever removed (not a FIFO, a device, a file, a live server's socket, another user's,
 * or one we may not connect to); a directory another user could swap the socket in is refused; paths up to
 * the kernel's 107 bytes work; private directories of dead processes are cleaned up and no live one's.
 */
@ExtendWith(OpenFds.class)
class SocketFilesTest {

	@TempDir
	Path dir;

	private static String mode(Path p) throws IOException {
		return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
	}

	private Stream<Path> privateDirs() throws IOException {
		return Files.list(this.dir).filter((p) -> p.getFileName().toString().startsWith(".imsg4j-"));
	}

	@Test
	void socketsAre0600UnlessConfiguredAndNoPrivateDirectoryStays() throws Exception {
		try (ImsgServer a = ImsgServer.listen(this.dir.resolve("a"), ChannelOptions.defaults());
				ImsgServer b = ImsgServer.listen(this.dir.resolve("b"), ChannelOptions.defaults(),
						ListenOptions.defaults().withMode(ListenOptions.parseMode("0660")), null);
				ImsgServer c = ImsgServer.listen(this.dir.resolve("c"), ChannelOptions.defaults(),
						ListenOptions.defaults().withMode(null), null)) {
			assertThat(mode(a.path())).isEqualTo("rw-------");
			assertThat(mode(b.path())).isEqualTo("rw-rw----");
			// "left to the umask" is what bind(2) alone gives: 0666 less the umask, not the socket library's 0666
			assertThat(Files.getPosixFilePermissions(c.path())).isEqualTo(SocketFiles.umaskMode());
			assertThat(mode(c.path())).doesNotEndWith("w-");
			assertThat(privateDirs()).isEmpty();
			exchange(a.path());
		}
	}

	@Test
	void nothingButADeadSocketOfOursIsEverRemoved() throws Exception {
		Path fifo = this.dir.resolve("fifo");
		assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
		Path file = Files.writeString(this.dir.resolve("file"), "keep me");
		Path sub = Files.createDirectory(this.dir.resolve("sub"));
		for (Path p : new Path[] { fifo, file, sub, Path.of("/dev/null") }) {
			assertThatThrownBy(() -> ImsgServer.listen(p, ChannelOptions.defaults()))
				.isInstanceOf(ImsgIoException.class).hasMessageContaining("not a socket; not removing it");
		}
		assertThat(Files.readString(file)).isEqualTo("keep me");
		assertThat((Integer) Files.getAttribute(fifo, "unix:mode") & 0170000).isEqualTo(0010000);
		assertThat(sub).isDirectory();

		Path live = this.dir.resolve("live");
		try (ImsgServer first = ImsgServer.listen(live, ChannelOptions.defaults())) {
			assertThatThrownBy(() -> ImsgServer.listen(live, ChannelOptions.defaults()))
				.hasMessageContaining("another server is listening there");
			first.accept(Duration.ofSeconds(10)).abort(); // the probe's connection
			exchangeWith(first);
		}

		Path dead = deadSocket(this.dir.resolve("dead"));
		try (ImsgServer replaced = ImsgServer.listen(dead, ChannelOptions.defaults())) {
			exchangeWith(replaced);
		}
	}

	@Test
	void anotherUsersDeadSocketIsLeftAlone() throws Exception {
		OtherUser.assumeAvailable();
		Path dead = deadSocket(this.dir.resolve("theirs"));
		Files.setAttribute(dead, "unix:uid", OtherUser.NOBODY, LinkOption.NOFOLLOW_LINKS);
		assertThatThrownBy(() -> ImsgServer.listen(dead, ChannelOptions.defaults()))
			.hasMessageContaining("a dead socket of uid 65534 is there; only the owner's sockets are removed");
		assertThat(Files.exists(dead, LinkOption.NOFOLLOW_LINKS)).isTrue();
	}

	@Test
	void aDaemonOfAnotherUserDoesNotRemoveOurLiveSocket() throws Exception {
		Files.setPosixFilePermissions(this.dir, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path shared = Files.createDirectory(this.dir.resolve("run"));
		chmod(shared, "1777");
		Path sock = shared.resolve("daemon.sock");
		try (ImsgServer ours = ImsgServer.listen(sock, ChannelOptions.defaults())) {
			Object inode = Files.getAttribute(sock, "unix:ino");
			try (OtherUser.Started theirs = OtherUser.start(Files.createDirectory(this.dir.resolve("cp")),
					ListenMain.class, sock.toString())) {
				assertThat(theirs.process().waitFor()).isEqualTo(3);
				assertThat(theirs.firstLine()).contains("cannot be probed").contains("not removed");
			}
			assertThat(Files.getAttribute(sock, "unix:ino")).isEqualTo(inode);
			exchangeWith(ours);
		}
	}

	@Test
	void aDirectoryAnotherUserCouldSwapTheSocketInIsRefused() throws Exception {
		Path open = Files.createDirectory(this.dir.resolve("open"));
		Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
		assertThatThrownBy(() -> ImsgServer.listen(open.resolve("s"), ChannelOptions.defaults()))
			.hasMessageContaining("has mode 0777, writable by other users without the sticky bit");
		try (ImsgServer unchecked = ImsgServer.listen(open.resolve("s"), ChannelOptions.defaults(),
				ListenOptions.defaults().withDirectoryCheck(false), null)) {
			exchangeWith(unchecked);
		}
		Path sticky = Files.createDirectory(this.dir.resolve("sticky"));
		chmod(sticky, "1777");
		try (ImsgServer ok = ImsgServer.listen(sticky.resolve("s"), ChannelOptions.defaults())) {
			exchangeWith(ok);
		}
		if (OtherUser.NOBODY != SocketFiles.ownUid() && "root".equals(System.getProperty("user.name"))) {
			Path theirs = Files.createDirectory(this.dir.resolve("theirs"));
			Files.setAttribute(theirs, "unix:uid", OtherUser.NOBODY);
			assertThatThrownBy(() -> ImsgServer.listen(theirs.resolve("s"), ChannelOptions.defaults()))
				.hasMessageContaining("belongs to uid 65534");
		}
	}

	@Test
	void pathsUpToTheKernelsLimitWork() throws Exception {
		String base = this.dir.toString() + "/";
		for (int len : new int[] { 76, 90, 107 }) {
			Path p = Path.of(base + "x".repeat(len - base.length() - String.valueOf(len).length()) + len);
			assertThat(p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(len);
			try (ImsgServer server = ImsgServer.listen(p, ChannelOptions.defaults())) {
				assertThat(mode(p)).isEqualTo("rw-------");
				exchangeWith(server);
			}
			assertThat(privateDirs()).isEmpty();
		}
	}

	@Test
	void privateDirectoriesOfDeadProcessesAreRemovedAndNothingElse() throws Exception {
		Process gone = new ProcessBuilder("true").start();
		gone.waitFor();
		long deadPid = gone.pid();
		long livePid = ProcessHandle.current().pid();
		Path deadNew = privateDir(".imsg4j-" + deadPid + "-11", true);
		Path deadOld = privateDir(".imsg4j-12", true);
		Path liveNew = privateDir(".imsg4j-" + livePid + "-13", false);
		Path withMore = privateDir(".imsg4j-" + deadPid + "-14", true);
		Files.writeString(withMore.resolve("other"), "not ours to judge");
		Path lookalike = Files.createDirectory(this.dir.resolve(".imsg4j-notours"));
		try (ImsgServer server = ImsgServer.listen(this.dir.resolve("s"), ChannelOptions.defaults())) {
			exchangeWith(server);
		}
		assertThat(deadNew).doesNotExist();
		assertThat(deadOld).doesNotExist();
		assertThat(liveNew).isDirectory();
		assertThat(withMore).isDirectory();
		assertThat(lookalike).isDirectory();
	}

	private static void chmod(Path p, String octal) throws IOException, InterruptedException {
		assertThat(new ProcessBuilder("chmod", octal, p.toString()).start().waitFor()).isZero();
	}

	private Path privateDir(String name, boolean withDeadSocket) throws IOException {
		Path d = Files.createDirectory(this.dir.resolve(name));
		if (withDeadSocket) {
			deadSocket(d.resolve("s"));
		}
		return d;
	}

	/** A socket file nobody listens on any more, as a server that died leaves it. */
	static Path deadSocket(Path p) throws IOException {
		try (io.github.imsg4j.core.internal.ListeningSocket s = io.github.imsg4j.core.internal.SocketLayer.get()
			.openListening()) {
			s.bind(p, 1);
		}
		return p;
	}

	private static void exchangeWith(ImsgServer server) {
		// a server without a handler: take the connection and answer it here
		try (ImsgChannel client = ImsgChannel.connect(server.path(), ChannelOptions.defaults())) {
			ImsgChannel accepted = server.accept(Duration.ofSeconds(10));
			assertThat(accepted).isNotNull();
			try (accepted) {
				client.send(1, new byte[] { 7 });
				try (Imsg m = accepted.receive(Duration.ofSeconds(10))) {
					assertThat(m).isNotNull();
					assertThat(m.bytes()).containsExactly(7);
				}
			}
		}
	}

	private static void exchange(Path path) {
		try (ImsgChannel client = ImsgChannel.connect(path, ChannelOptions.defaults())) {
			assertThat(client.isOpen()).isTrue();
		}
	}

	/** A daemon of another user: listens at {@code args[0]}; prints why not and exits 3 when refused. */
	public static final class ListenMain {

		private ListenMain() {
		}

		/**
		 * @param args the socket path
		 * @throws InterruptedException never, in practice
		 */
		public static void main(String[] args) throws InterruptedException {
			try (ImsgServer server = ImsgServer.listen(Path.of(args[0]), ChannelOptions.defaults())) {
				System.out.println("listening " + server.path());
				System.out.flush();
				new CountDownLatch(1).await();
			}
			catch (ImsgIoException ex) {
				System.out.println("refused: " + ex.getMessage());
				System.exit(3);
			}
		}
	}
}
