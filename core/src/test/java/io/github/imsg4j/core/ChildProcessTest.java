package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.imsg4j.core.internal.RendezvousSpawner;
import io.github.imsg4j.core.internal.Spawner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Child processes over a socket, as OpenBSD's privsep daemons run them: a C child built from our
 * {@code src/test/c/fdchild.c} and OpenBSD's imsg ({@code ../shared/cpeer}), both generations, finding its
 * socket at fd 3 and nothing else open; a Java child on either mechanism ({@code posix_spawn} on Java 22+, the
 * rendezvous socket everywhere); a child killed with SIGKILL mid-exchange; a child that ignores SIGTERM and is
 * killed after the grace period. Every child is reaped (no {@code /proc/PID} left) and the parent's
 * descriptor count is back.
 */
@ExtendWith(OpenFds.class)
class ChildProcessTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@TempDir
	static Path build;

	private static void assumeSpawn() {
		Assumptions.assumeTrue(ImsgChildProcess.mechanism().startsWith("posix_spawn"),
				"a child at a descriptor needs posix_spawn through the foreign-function API (Java 22+); this JDK "
						+ Runtime.version().feature() + " uses " + ImsgChildProcess.mechanism());
	}

	/** fdchild.c compiled against ../shared/cpeer's imsg of one generation. */
	static Path cChild(WireFormat wire) throws Exception {
		return cChild(wire, build);
	}

	/** {@link #cChild(WireFormat)}, built into {@code into}. */
	static Path cChild(WireFormat wire, Path into) throws Exception {
		Path shared = Path.of(System.getProperty("imsg4j.shared.dir", "../../shared")).toAbsolutePath().normalize();
		Path cpeer = shared.resolve("cpeer");
		String why = "the C child needs gcc and " + cpeer + " (.ci/run has both)";
		boolean there = Files.isDirectory(cpeer) && Files.isExecutable(Path.of("/usr/bin/gcc"));
		if ("true".equals(System.getenv("CI")) && !there) {
			throw new AssertionError(why);
		}
		Assumptions.assumeTrue(there, why);
		String gen = (wire == WireFormat.CLASSIC) ? "classic" : "current";
		Path out = into.resolve("fdchild-" + gen);
		if (!Files.exists(out)) {
			Path src = Path.of("src/test/c/fdchild.c").toAbsolutePath();
			Process cc = new ProcessBuilder("gcc", "-O1", "-include", cpeer.resolve("compat.h").toString(),
					"-I" + cpeer, "-I" + cpeer.resolve(gen), "-DIMSG_GEN_" + gen.toUpperCase(), "-o", out.toString(),
					src.toString(), cpeer.resolve(gen).resolve("imsg.c").toString(),
					cpeer.resolve(gen).resolve("imsg-buffer.c").toString())
				.redirectErrorStream(true).start();
			String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(cc.waitFor()).as(log).isZero();
		}
		return out;
	}

	private static ChannelOptions options(WireFormat wire) {
		return ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
	}

	private static Imsg next(ImsgChannel ch, int type) {
		Imsg m = ch.receive(WAIT);
		assertThat(m).as("a reply of type " + type).isNotNull();
		assertThat(m.type()).isEqualTo(type);
		return m;
	}

	/** Waits until {@code /proc/PID/status} says the process ignores {@code signal} (its {@code SigIgn} mask). */
	private static void awaitIgnoring(long pid, int signal) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		Path status = Path.of("/proc/" + pid + "/status");
		while (System.nanoTime() < deadline) {
			for (String line : java.nio.file.Files.readAllLines(status)) {
				if (line.startsWith("SigIgn:")
						&& (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << (signal - 1))) != 0) {
					return;
				}
			}
			Thread.onSpinWait();
		}
		throw new AssertionError("child " + pid + " never ignored signal " + signal);
	}

	private static void assertReaped(long pid) {
		assertThat(Path.of("/proc/" + pid)).as("child " + pid + " reaped, no zombie").doesNotExist();
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void aCChildAtFd3ExchangesMessagesAndDescriptorsAndHasNothingElseOpen(WireFormat wire) throws Exception {
		assumeSpawn();
		Path binary = cChild(wire);
		try (ImsgChildProcess child = ImsgChildProcess.start(ImsgChildProcess.Spec.of(binary.toString()), options(wire),
				null)) {
			ImsgChannel ch = child.channel();
			ch.send(1, "hello".getBytes(StandardCharsets.US_ASCII));
			try (Imsg m = next(ch, 2)) {
				assertThat(new String(m.bytes(), StandardCharsets.US_ASCII)).isEqualTo("hello");
			}
			ch.compose(3, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.allocate(0));
			try (Imsg m = next(ch, 4)) {
				java.io.FileDescriptor back = m.takeFd();
				assertThat(Fds.target(back)).contains(Path.of("/dev/null"));
				Fds.close(back);
			}
			ch.send(5, new byte[0]);
			try (Imsg m = next(ch, 6)) {
				assertThat(new String(m.bytes(), StandardCharsets.US_ASCII)).as("the child's own view").isEqualTo("0 1 2 3");
			}
			try (Stream<Path> fds = Files.list(Path.of("/proc/" + child.pid() + "/fd"))) {
				assertThat(fds.map((p) -> p.getFileName().toString()).sorted().collect(Collectors.toList()))
					.as("descriptors of the child, seen from here").containsExactly("0", "1", "2", "3");
			}
			// Closing our end is the child's end of stream: it exits 0.
			ch.close();
			assertThat(child.exit().get(30, TimeUnit.SECONDS)).isEqualTo(new ChildExit(0, 0));
			assertReaped(child.pid());
		}
	}

	@Test
	void aChildDoesNotInheritWhatSystemdSetForItsParent() {
		java.util.Map<String, String> own = java.util.Map.of("LISTEN_FDS", "1", "LISTEN_PID", "42", "LISTEN_FDNAMES",
				"control", "NOTIFY_SOCKET", "/run/systemd/notify", "WATCHDOG_USEC", "1000", "PATH", "/usr/bin");
		java.util.Map<String, String> env = ImsgChildProcess.Spec.of("true").resolvedEnvironment(own);
		assertThat(env).containsEntry("PATH", "/usr/bin")
			.doesNotContainKeys("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC");
		// named in the spec, it is passed: the operator asked for it
		assertThat(ImsgChildProcess.Spec.of("true").withEnvironment(java.util.Map.of("NOTIFY_SOCKET", "/x"))
			.resolvedEnvironment(own)).containsEntry("NOTIFY_SOCKET", "/x");
	}

	@Test
	void aChildKilledMidExchangeIsSeenClosedAndReaped() throws Exception {
		assumeSpawn();
		Path binary = cChild(WireFormat.CURRENT);
		try (ImsgChildProcess child = ImsgChildProcess.start(ImsgChildProcess.Spec.of(binary.toString()),
				options(WireFormat.CURRENT), null)) {
			for (int i = 0; i < 1000; i++) {
				child.channel().tryCompose(1, 0, 0, null, ByteBuffer.allocate(100));
			}
			ProcessHandle.of(child.pid()).orElseThrow().destroyForcibly();
			assertThat(child.exit().get(30, TimeUnit.SECONDS)).isEqualTo(new ChildExit(-1, 9));
			child.channel().closeFuture().handle((v, e) -> null).get(30, TimeUnit.SECONDS);
			assertThat(child.channel().isOpen()).isFalse();
			assertReaped(child.pid());
		}
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void everythingAChildSentBeforeItWasKilledArrives(WireFormat wire) throws Exception {
		assumeSpawn();
		Path binary = cChild(wire);
		int n = 3000;
		try (ImsgChildProcess child = ImsgChildProcess.start(ImsgChildProcess.Spec.of(binary.toString()), options(wire),
				null)) {
			child.channel().compose(7, 0, 0, null, ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(0, n));
			// The child writes n replies, then SIGKILLs itself: all n are in the socket, and all n are delivered
			// before the channel reports the end.
			for (int i = 0; i < n; i++) {
				try (Imsg m = next(child.channel(), 8)) {
					assertThat(ByteBuffer.wrap(m.bytes()).order(java.nio.ByteOrder.nativeOrder()).getInt(0)).isEqualTo(i);
				}
			}
			assertThat(child.exit().get(30, TimeUnit.SECONDS)).isEqualTo(new ChildExit(-1, 9));
			child.channel().closeFuture().handle((v, e) -> null).get(30, TimeUnit.SECONDS);
			assertReaped(child.pid());
		}
	}

	@Test
	void stopKillsAChildThatIgnoresSigtermAfterTheGracePeriod() throws Exception {
		assumeSpawn();
		// The shell ignores SIGTERM and execs sleep, which keeps it ignored.
		ImsgChildProcess child = ImsgChildProcess.start(ImsgChildProcess.Spec.of("sh", "-c", "trap '' TERM; exec sleep 60"),
				ChannelOptions.defaults(), null);
		awaitIgnoring(child.pid(), 15); // else a SIGTERM before the trap ends the shell, and the test proves nothing
		ChildExit exit = child.stop(Duration.ofMillis(300));
		assertThat(exit).isEqualTo(new ChildExit(-1, 9));
		assertReaped(child.pid());
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "posix_spawn", "rendezvous" })
	void aJavaChildTalksBackOverWhatItsParentGaveIt(String mechanism) throws Exception {
		Spawner spawner;
		if (mechanism.equals("posix_spawn")) {
			assumeSpawn();
			spawner = Spawner.best();
		}
		else {
			spawner = new RendezvousSpawner();
		}
		List<String> command = TestJvm.command(JavaChildMain.class);
		ImsgChildProcess child = ImsgChildProcess.start(new ImsgChildProcess.Spec(command, java.util.Map.of(), true, null, 3),
				ChannelOptions.defaults(), null, spawner);
		try {
			child.channel().send(1, "from the parent".getBytes(StandardCharsets.US_ASCII));
			try (Imsg m = next(child.channel(), 2)) {
				assertThat(new String(m.bytes(), StandardCharsets.US_ASCII)).isEqualTo("child " + child.pid()
						+ " got: from the parent");
			}
			child.channel().send(9, new byte[0]);
			assertThat(child.exit().get(30, TimeUnit.SECONDS)).isEqualTo(new ChildExit(7, 0));
		}
		finally {
			child.stop(Duration.ofSeconds(5));
		}
		assertReaped(child.pid());
	}

	/** A Java child: answers type 1 with type 2 naming itself, exits 7 on type 9. */
	public static final class JavaChildMain {

		private JavaChildMain() {
		}

		/**
		 * @param args none
		 */
		public static void main(String[] args) {
			try (ImsgChannel parent = ImsgChannel.fromParent(3, ChannelOptions.defaults(), null)) {
				while (true) {
					try (Imsg m = parent.receive(Duration.ofSeconds(60))) {
						if (m == null || m.type() == 9) {
							parent.flush(Duration.ofSeconds(5));
							System.exit(7);
						}
						byte[] text = ("child " + ProcessHandle.current().pid() + " got: "
								+ new String(m.bytes(), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
						parent.compose(2, 0, 0, null, ByteBuffer.wrap(text));
					}
				}
			}
		}
	}
}
