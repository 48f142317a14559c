package io.github.imsg4j.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with OpenBSD's own imsg code in C, both generations, both directions, with descriptors: the bench
 * peers built from {@code ../shared/cpeer} (see {@code ../shared/bench-protocol.md}). Skipped, saying why,
 * when they have not been built ({@code .ci/run} builds them into {@code target/cpeer}).
 */
@ExtendWith(OpenFds.class)
class CImsgInteropTest {

	static final int DATA = 1;

	static final int PING = 2;

	static final int PONG = 3;

	static final int END = 4;

	static final int DONE = 5;

	@TempDir
	Path dir;

	@BeforeAll
	static void findPeers() {
		CPeers.binary(WireFormat.CURRENT); // skips the class, saying why, when the peers are not built
	}

	static Path binary(WireFormat wire) {
		return CPeers.binary(wire);
	}

	static ChannelOptions options(WireFormat wire) {
		return ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
	}

	/** The bench protocol's server side, in Java: counts DATA, echoes PING, answers END with DONE. */
	static ImsgListener benchServer() {
		return new ImsgListener() {
			final AtomicLong msgs = new AtomicLong();

			final AtomicLong bytes = new AtomicLong();

			final AtomicLong fds = new AtomicLong();

			@Override
			public void onMessage(ImsgChannel ch, Imsg m) {
				try (m) {
					switch (m.type()) {
						case DATA -> {
							this.msgs.incrementAndGet();
							this.bytes.addAndGet(m.length());
							if (m.hasFd()) {
								Fds.close(m.takeFd());
								this.fds.incrementAndGet();
							}
						}
						case PING -> ch.compose(PONG, 0, 0, null, m.payload());
						case END -> ch.create(DONE, 0, 0, null)
							.addH64(this.msgs.get())
							.addH64(this.bytes.get())
							.addH64(this.fds.get())
							.close();
						default -> throw new IllegalStateException("unexpected " + m);
					}
				}
			}
		};
	}

	static Process start(String... command) throws IOException {
		return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
	}

	static String finish(Process p) throws Exception {
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("C peer finished").isTrue();
		assertThat(p.exitValue()).as("C peer exit status; output: %s", out).isZero();
		return out;
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void cClientSendsDataWithFdsAndPingsAJavaServer(WireFormat wire) throws Exception {
		Path sock = this.dir.resolve("j.sock");
		try (ImsgServer server = ImsgServer.listen(sock, options(wire), peer -> benchServer())) {
			String send = finish(start(binary(wire).toString(), "send", sock.toString(), "5000", "64", "fd"));
			assertThat(send).startsWith("mode=send").contains("n=5000").contains("fds=5000");
			String big = finish(start(binary(wire).toString(), "send", sock.toString(), "200", "16368"));
			assertThat(big).contains("size=16368");
			String ping = finish(start(binary(wire).toString(), "ping", sock.toString(), "500", "64"));
			assertThat(ping).startsWith("mode=ping").contains("n=500");
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void javaClientSendsDataWithFdsAndPingsACServer(WireFormat wire) throws Exception {
		Path sock = this.dir.resolve("c.sock");
		Process server = start(binary(wire).toString(), "server", sock.toString());
		try {
			BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
			assertThat(lines.readLine()).isEqualTo("listening path=" + sock);
			try (ImsgChannel ch = ImsgChannel.connect(sock, options(wire))) {
				int n = 3000;
				byte[] payload = new byte[64];
				for (int i = 0; i < n; i++) {
					payload[0] = (byte) i;
					ch.compose(DATA, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.wrap(payload));
				}
				ch.compose(DATA, 0, 0, null, ByteBuffer.wrap(new byte[16368]));
				ch.compose(END, 0, 0, null);
				try (Imsg done = ch.receive(Duration.ofSeconds(30))) {
					assertThat(done.type()).isEqualTo(DONE);
					PayloadReader r = done.data(24);
					assertThat(r.getH64()).as("messages").isEqualTo(n + 1);
					assertThat(r.getH64()).as("bytes").isEqualTo(64L * n + 16368);
					assertThat(r.getH64()).as("fds").isEqualTo(n);
				}
				for (int i = 0; i < 200; i++) {
					byte[] ping = ("ping " + i).getBytes(StandardCharsets.UTF_8);
					ch.compose(PING, 0, 0, null, ByteBuffer.wrap(ping));
					ch.flush();
					try (Imsg pong = ch.receive(Duration.ofSeconds(10))) {
						assertThat(pong.type()).isEqualTo(PONG);
						assertThat(pong.bytes()).isEqualTo(ping);
						assertThat(pong.pid()).as("C fills in its own pid").isEqualTo((int) server.pid());
					}
				}
			}
		}
		finally {
			server.destroy();
			assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
			assertThat(server.exitValue()).as("C server exits 0 on SIGTERM").isZero();
		}
		assertThat(sock).as("C server removed its socket").doesNotExist();
	}
}
