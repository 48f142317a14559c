package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with a real program nobody here wrote: Debian's tmux 3.3a, which speaks the classic wire format.
 * Using only the core API, the test is a tmux client: it identifies itself (flags, terminal, cwd, its stdin
 * and stdout descriptors, pid), runs {@code list-sessions}, acknowledges the server's write stream, and reads
 * the session's name back from the output. Layouts from tmux 3.3a's {@code tmux-protocol.h} and
 * {@code client.c}.
 */
@ExtendWith(OpenFds.class)
class TmuxInteropTest {

	/** tmux 3.3a's PROTOCOL_VERSION, carried in every message's peerid. */
	static final int PROTOCOL_VERSION = 8;

	static final int MSG_IDENTIFY_FLAGS = 100;

	static final int MSG_IDENTIFY_TERM = 101;

	static final int MSG_IDENTIFY_TTYNAME = 102;

	static final int MSG_IDENTIFY_STDIN = 104;

	static final int MSG_IDENTIFY_DONE = 106;

	static final int MSG_IDENTIFY_CLIENTPID = 107;

	static final int MSG_IDENTIFY_CWD = 108;

	static final int MSG_IDENTIFY_FEATURES = 109;

	static final int MSG_IDENTIFY_STDOUT = 110;

	static final int MSG_IDENTIFY_LONGFLAGS = 111;

	static final int MSG_COMMAND = 200;

	static final int MSG_EXIT = 203;

	static final int MSG_WRITE_OPEN = 303;

	static final int MSG_WRITE = 304;

	static final int MSG_WRITE_READY = 305;

	static final String SESSION = "imsg4j-interop";

	Path dir;

	Path socket;

	@BeforeEach
	void startTmux() throws Exception {
		Assumptions.assumeTrue(tmuxVersion().startsWith("tmux 3.3"),
				"needs Debian's tmux 3.3a (apt-get install tmux; .ci/run installs it); found: " + tmuxVersion());
		this.dir = Files.createTempDirectory(Path.of("/tmp"), "imsg4j-tmux");
		this.socket = this.dir.resolve("s");
		run("tmux", "-S", this.socket.toString(), "-f", "/dev/null", "new-session", "-d", "-s", SESSION);
	}

	@AfterEach
	void stopTmux() throws Exception {
		if (this.socket != null) {
			run("tmux", "-S", this.socket.toString(), "kill-server");
			Files.deleteIfExists(this.socket);
			Files.deleteIfExists(this.dir);
		}
	}

	static String tmuxVersion() {
		try {
			Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
			String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			return (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) ? out : "none";
		}
		catch (IOException | InterruptedException ex) {
			return "none (" + ex.getMessage() + ")";
		}
	}

	static void run(String... command) throws Exception {
		Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
	}

	@Test
	void listSessionsThroughTmuxClientProtocol() throws Exception {
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(WireFormat.CLASSIC).withFdPassing(true);
		try (ImsgChannel tmux = ImsgChannel.connect(this.socket, options)) {
			assertThat(tmux.peerCredentials().uid()).isEqualTo(Long.parseLong(
					new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim()));
			int pid = (int) ProcessHandle.current().pid();
			tmux.create(MSG_IDENTIFY_FLAGS, PROTOCOL_VERSION, 0, null).addH32(0).close();
			tmux.create(MSG_IDENTIFY_LONGFLAGS, PROTOCOL_VERSION, 0, null).addH64(0).close();
			tmux.create(MSG_IDENTIFY_TERM, PROTOCOL_VERSION, 0, null).addCString("dumb").close();
			tmux.create(MSG_IDENTIFY_FEATURES, PROTOCOL_VERSION, 0, null).addH32(0).close();
			tmux.create(MSG_IDENTIFY_TTYNAME, PROTOCOL_VERSION, 0, null).addCString("").close();
			tmux.create(MSG_IDENTIFY_CWD, PROTOCOL_VERSION, 0, null).addCString("/").close();
			tmux.compose(MSG_IDENTIFY_STDIN, PROTOCOL_VERSION, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
			tmux.compose(MSG_IDENTIFY_STDOUT, PROTOCOL_VERSION, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
			tmux.create(MSG_IDENTIFY_CLIENTPID, PROTOCOL_VERSION, 0, null).addH32(pid).close();
			tmux.compose(MSG_IDENTIFY_DONE, PROTOCOL_VERSION, 0, null);
			// struct msg_command { int argc; } followed by the packed argv
			tmux.create(MSG_COMMAND, PROTOCOL_VERSION, 0, null).addH32(1).addCString("list-sessions").close();
			tmux.flush();

			StringBuilder stdout = new StringBuilder();
			int exit = -1;
			while (exit < 0) {
				try (Imsg m = tmux.receive(Duration.ofSeconds(20))) {
					assertThat(m).as("a message from tmux").isNotNull();
					assertThat(m.peerId() & 0xff).as("tmux's protocol version").isEqualTo(PROTOCOL_VERSION);
					PayloadReader r = m.reader();
					switch (m.type()) {
						case MSG_WRITE_OPEN -> {
							int stream = r.getH32(); // struct msg_write_open { int stream; int fd; int flags; }
							tmux.create(MSG_WRITE_READY, PROTOCOL_VERSION, 0, null).addH32(stream).addH32(0).close();
						}
						case MSG_WRITE -> {
							assertThat(r.getH32()).as("stream").isEqualTo(1);
							stdout.append(StandardCharsets.UTF_8.decode(r.remainingBuffer()));
						}
						case MSG_EXIT -> exit = m.length() >= 4 ? r.getH32() : 0;
						default -> {
							// other messages (e.g. MSG_WRITE_CLOSE) need no answer here
						}
					}
				}
			}
			assertThat(exit).as("list-sessions exit status").isZero();
			assertThat(stdout.toString()).startsWith(SESSION + ": 1 windows");
		}
	}
}
