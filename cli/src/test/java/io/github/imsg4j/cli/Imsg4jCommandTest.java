package io.github.imsg4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.github.imsg4j.core.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code imsg4j} command as users run it (a fresh JVM per command) against OpenBSD's C imsg and against
 * itself: cat, proxy (descriptors passed through, the proxy's descriptor count flat) and bench.
 */
class Imsg4jCommandTest {

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void catTalksToTheCServerWithDescriptors(WireFormat wire) throws Exception {
		Path sock = this.dir.resolve("c.sock");
		try (Procs.Running server = new Procs.Running(List.of(Procs.cpeer(wire).toString(), "server", sock.toString()))) {
			server.awaitLine("listening");
			Procs.Result r = Procs.run(Procs.imsg4j("cat", "--wire", wire.name().toLowerCase(), "--count", "2",
					"--decode", "u64,u64,u64", sock.toString()),
					"# a comment, then PING with 2 bytes, 3 DATA with descriptors, END\n" + "2 hex=0a0b\n"
							+ "1 fd=/dev/null text=abc\n1 fd=/dev/null text=abc\n1 fd=/dev/null text=abc\n4\n");
			assertThat(r.exit()).as(r.err()).isZero();
			List<String> lines = r.out().lines().toList();
			assertThat(lines.get(0)).matches("peer pid=\\d+ uid=\\d+ gid=\\d+");
			// PONG's 2 bytes are no u64,u64,u64: said so, not guessed at
			assertThat(lines.get(1)).matches("type=3 len=18 peerid=0 pid=\\d+ fd=- payload=0a0b \"..\" "
					+ "decoded=\\(does not fit: 2 bytes left for field 1, a u64\\)");
			// DONE: msgs=3, bytes=9, fds=3 (u64 host order)
			assertThat(lines.get(2)).startsWith("type=5 len=40 ")
				.contains("payload=" + u64(3) + u64(9) + u64(3) + " ")
				.endsWith(" decoded=[3, 9, 3]");
			assertThat(server.stop()).isZero();
		}
	}

	@Test
	void catGivesUpOnAReplyThatNeverComes() throws Exception {
		Path sock = this.dir.resolve("silent.sock");
		// a daemon whose handler never answers: it accepts, and nobody takes the connection
		try (io.github.imsg4j.core.ImsgServer silent = io.github.imsg4j.core.ImsgServer.listen(sock,
				io.github.imsg4j.core.ChannelOptions.defaults(), io.github.imsg4j.core.ListenOptions.defaults(), null)) {
			Procs.Result r = Procs.run(Procs.imsg4j("cat", "--count", "1", "--timeout", "500ms", sock.toString()),
					"1 z=anyone there\n");
			assertThat(r.exit()).as(r.err()).isEqualTo(3);
			assertThat(r.err()).contains("imsg4j cat: no message for 500 ms after stdin ended (received 0 of the 1 "
					+ "asked for with --count); giving up (--timeout, 0 waits forever)");
		}
	}

	@Test
	void helpIsWrappedByPicocliNotByHand() throws Exception {
		Procs.Result r = Procs.run(Procs.imsg4j("proxy", "--help"), "");
		assertThat(r.exit()).isZero();
		// the description's paragraphs are whole sentences, wrapped to the usage width
		assertThat(r.out()).contains("It connects to the daemon as itself: by default only clients of its own uid are");
		assertThat(r.out().lines()).allSatisfy((l) -> assertThat(l.length()).isLessThanOrEqualTo(80));
	}

	static String u64(long v) {
		java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(0, v);
		return java.util.HexFormat.of().formatHex(b.array());
	}

	@Test
	void catListensAndCatConnectsAndJsonDescribesTheDescriptor() throws Exception {
		Path sock = this.dir.resolve("cat.sock");
		Path file = Files.writeString(this.dir.resolve("shared.txt"), "x");
		CompletableFuture<Procs.Result> listener = CompletableFuture.supplyAsync(() -> {
			try {
				return Procs.run(Procs.imsg4j("cat", "--listen", "--json", "--count", "1", sock.toString()),
						"7 peerid=9 z=from the listener\n");
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		Procs.awaitFile(sock);
		Procs.Result client = Procs.run(Procs.imsg4j("cat", "--count", "1", sock.toString()),
				"8 fd=" + file + " z=from the client\n");
		Procs.Result server = listener.get();
		assertThat(client.exit()).as(client.err()).isZero();
		assertThat(server.exit()).as(server.err()).isZero();
		assertThat(client.out()).contains("type=7 len=34 peerid=9 ").contains("\"from the listener.\"");
		assertThat(server.out().lines().toList().get(0)).matches("\\{\"peer\":\\{\"pid\":\\d+,\"uid\":\\d+,\"gid\":\\d+}}");
		assertThat(server.out()).contains("\"type\":8,").contains("\"fd\":\"" + file + "\"")
			.contains("\"payload_text\":\"from the client.\"");
	}

	@Test
	void catReportsBadInputLinesAndGoesOn() throws Exception {
		Path sock = this.dir.resolve("c.sock");
		try (Procs.Running server = new Procs.Running(
				List.of(Procs.cpeer(WireFormat.CURRENT).toString(), "server", sock.toString()))) {
			server.awaitLine("listening");
			Procs.Result r = Procs.run(Procs.imsg4j("cat", "--count", "1", sock.toString()),
					"nonsense\n2 hex=zz\n2 color=red\n99999999999 text=x\n2 text=ok\n");
			assertThat(r.exit()).isZero();
			assertThat(r.err()).contains("line 1: TYPE 'nonsense' is not a number", "line 2: hex 'zz'",
					"line 3: unknown key 'color'", "line 4: TYPE '99999999999'");
			assertThat(r.out()).contains("type=3 len=18 ").contains("\"ok\"");
		}
	}

	@Test
	void proxyLendsItsIdentityToNoOtherUser() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
				"running a client as another uid needs root (CI runs as root)");
		org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) not installed");
		Files.setPosixFilePermissions(this.dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
		Path real = this.dir.resolve("real.sock");
		Path front = this.dir.resolve("front.sock");
		Path open = this.dir.resolve("open.sock");
		List<String> asNobody = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
		try (Procs.Running server = new Procs.Running(List.of(Procs.cpeer(WireFormat.CURRENT).toString(), "server",
				real.toString()));
				Procs.Running proxy = new Procs.Running(Procs.imsg4j("proxy", "--listen", front.toString(), "--connect",
						real.toString()));
				Procs.Running wide = new Procs.Running(Procs.imsg4j("proxy", "--mode", "0666", "--listen", open.toString(),
						"--connect", real.toString()))) {
			server.awaitLine("listening");
			Procs.awaitFile(front);
			Procs.awaitFile(open);
			assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(front)))
				.isEqualTo("rw-------");
			List<String> ping = new java.util.ArrayList<>(asNobody);
			ping.addAll(List.of(Procs.cpeer(WireFormat.CURRENT).toString(), "ping", front.toString(), "1", "8"));
			Procs.Result denied = Procs.run(ping, "");
			assertThat(denied.exit()).as("nobody cannot reach a 0600 socket").isNotZero();
			// A socket opened to everyone still lets in only this uid: the proxy refuses nobody unread.
			ping.set(ping.indexOf(front.toString()), open.toString());
			Procs.Result refused = Procs.run(ping, "");
			assertThat(refused.exit()).as(refused.out() + refused.err()).isNotZero();
			// This uid is served as before, and is the first client the proxy let in: nobody never was.
			Procs.Result own = Procs.run(List.of(Procs.cpeer(WireFormat.CURRENT).toString(), "ping", open.toString(), "1",
					"8"), "");
			assertThat(own.exit()).as(own.out() + own.err()).isZero();
			assertThat(wide.awaitLine("#")).startsWith("#1 peer").contains("uid=0");
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void proxyPassesDescriptorsThroughAndKeepsItsOwnCountFlat(WireFormat wire) throws Exception {
		Path real = this.dir.resolve("real.sock");
		Path front = this.dir.resolve("front.sock");
		String gen = wire.name().toLowerCase();
		try (Procs.Running server = new Procs.Running(List.of(Procs.cpeer(wire).toString(), "server", real.toString()));
				Procs.Running proxy = new Procs.Running(Procs.imsg4j("proxy", "--wire", gen, "--listen", front.toString(),
						"--connect", real.toString()))) {
			server.awaitLine("listening");
			Procs.awaitFile(front);
			// A first exchange, so that the proxy's JVM has loaded what it needs before counting.
			Procs.Result warm = Procs.run(List.of(Procs.cpeer(wire).toString(), "ping", front.toString(), "10", "8"), "");
			assertThat(warm.exit()).as(warm.out() + warm.err()).isZero();
			proxy.awaitLine("#1 closed");
			long before = proxy.fds();
			// The C client's DONE check fails (exit 3) unless all 2000 descriptors reached the C server.
			Procs.Result sent = Procs.run(List.of(Procs.cpeer(wire).toString(), "send", front.toString(), "2000", "64", "fd"), "");
			assertThat(sent.exit()).as(sent.out() + sent.err()).isZero();
			assertThat(sent.out()).contains("fds=2000");
			assertThat(proxy.awaitLine("#2 > type=1 ")).contains("fd=/dev/null");
			proxy.awaitLine("#2 closed");
			assertThat(proxy.fds()).as("the proxy's open descriptors").isEqualTo(before);
			assertThat(proxy.stop()).as("exits 0 on SIGTERM").isZero();
			assertThat(front).doesNotExist();
		}
	}

	@Test
	void proxyTranslatesBetweenWireGenerations() throws Exception {
		Path real = this.dir.resolve("real.sock");
		Path front = this.dir.resolve("front.sock");
		try (Procs.Running server = new Procs.Running(
				List.of(Procs.cpeer(WireFormat.CURRENT).toString(), "server", real.toString()));
				Procs.Running proxy = new Procs.Running(Procs.imsg4j("proxy", "--wire", "classic", "--connect-wire",
						"current", "--listen", front.toString(), "--connect", real.toString()))) {
			server.awaitLine("listening");
			Procs.awaitFile(front);
			Procs.Result r = Procs.run(
					List.of(Procs.cpeer(WireFormat.CLASSIC).toString(), "send", front.toString(), "500", "100", "fd"), "");
			assertThat(r.exit()).as(r.out() + r.err()).isZero();
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void benchPairsWithTheCPeerBothWaysAndWithItself(WireFormat wire) throws Exception {
		String gen = wire.name().toLowerCase();
		Path j = this.dir.resolve("j.sock");
		Path c = this.dir.resolve("c.sock");
		try (Procs.Running jserver = new Procs.Running(Procs.imsg4j("bench", "server", "--wire", gen, j.toString()));
				Procs.Running cserver = new Procs.Running(List.of(Procs.cpeer(wire).toString(), "server", c.toString()))) {
			assertThat(jserver.awaitLine("listening")).isEqualTo("listening path=" + j);
			cserver.awaitLine("listening");
			String cbin = Procs.cpeer(wire).toString();
			// C -> Java
			for (List<String> w : List.of(List.of("send", j.toString(), "20000", "64"),
					List.of("send", j.toString(), "2000", "64", "fd"), List.of("send", j.toString(), "2000", "16000"),
					List.of("ping", j.toString(), "500", "64"))) {
				List<String> cmd = new java.util.ArrayList<>(List.of(cbin));
				cmd.addAll(w);
				Procs.Result r = Procs.run(cmd, "");
				assertThat(r.exit()).as("%s: %s", w, r.out() + r.err()).isZero();
			}
			// Java -> C and Java -> Java
			for (Path target : List.of(c, j)) {
				Procs.Result send = Procs.run(
						Procs.imsg4j("bench", "send", "--wire", gen, target.toString(), "20000", "64", "fd"), "");
				assertThat(send.exit()).as(send.err()).isZero();
				assertThat(send.out().strip()).matches("mode=send impl=imsg4j n=20000 size=64 fds=20000 secs=[0-9.]+ "
						+ "msgs_per_s=[0-9]+ mb_per_s=[0-9.]+");
				Procs.Result ping = Procs.run(
						Procs.imsg4j("bench", "ping", "--wire", gen, "--warmup", "100", target.toString(), "200", "64"), "");
				assertThat(ping.exit()).as(ping.err()).isZero();
				assertThat(ping.out().strip()).matches("mode=ping impl=imsg4j n=200 size=64 secs=[0-9.]+ rtt_per_s=[0-9]+ "
						+ "p50_us=[0-9.]+ p99_us=[0-9.]+ max_us=[0-9.]+ warmup=100");
			}
			assertThat(jserver.stop()).as("exits 0 on SIGTERM").isZero();
			assertThat(j).as("and removes its socket").doesNotExist();
		}
	}
}
