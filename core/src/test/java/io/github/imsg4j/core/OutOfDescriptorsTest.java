package io.github.imsg4j.core;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server process run out of descriptors ({@code ulimit -n 96} in a child JVM): accepting fails with EMFILE.
 * It must not spin (CPU time stays low while connections wait), must serve the connections it has, and must
 * take the waiting ones once descriptors free up. A descriptor sent to it while it has none to spare is lost
 * (the kernel drops it), and the server goes on.
 */
@ExtendWith(OpenFds.class)
class OutOfDescriptorsTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path dir;

	static long cpuTicks(long pid) throws Exception {
		String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
		return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, in clock ticks
	}

	static long fdCount(long pid) throws java.io.IOException {
		try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
			return fds.count();
		}
	}

	static boolean answers(ImsgChannel ch, Duration within) {
		ch.compose(1, 0, 0, null, ByteBuffer.wrap(new byte[] { 42 }));
		try (Imsg reply = ch.receive(within)) {
			return reply != null && reply.type() == 2;
		}
		catch (ImsgClosedException ex) {
			return false; // closed by the server: no answer, which the callers assert on
		}
	}

	@Test
	void emfileAtAcceptPausesInsteadOfSpinningAndRecoversWhenDescriptorsFreeUp() throws Exception {
		Path sock = this.dir.resolve("emfile.sock");
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		Process server = new ProcessBuilder("bash", "-c", "ulimit -n 96 && exec \"$0\" -Xshare:off -cp \"$1\" "
				+ EchoServerMain.class.getName() + " \"$2\"", java, System.getProperty("java.class.path"), sock.toString())
			.redirectErrorStream(true)
			.start();
		List<ImsgChannel> clients = new ArrayList<>();
		// Not closed by try-with-resources: its drain thread holds it until the server is gone (finally).
		BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
		try {
			String line;
			while ((line = out.readLine()) != null && !line.startsWith("listening path=")) {
				// the server's log lines
			}
			assertThat(line).as("the server starts").isNotNull();
			long serverFdsAtStart = fdCount(server.pid());
			StringBuffer log = new StringBuffer();
			Thread drain = new Thread(() -> {
				try {
					String l;
					while ((l = out.readLine()) != null) {
						log.append(l).append('\n');
					}
				}
				catch (java.io.IOException ex) {
					// server gone
				}
			});
			drain.setDaemon(true);
			drain.start();
			// More connections than the server has descriptors for (one each): the kernel queues them (backlog 128).
			for (int i = 0; i < 90; i++) {
				clients.add(ImsgChannel.connect(sock, ChannelOptions.defaults().withFdPassing(true)));
			}
			assertThat(answers(clients.get(0), WAIT)).as("the first connection is served").isTrue();
			ImsgChannel last = clients.get(clients.size() - 1);
			long before = cpuTicks(server.pid());
			// The last connection cannot be accepted: it gets no answer within a second...
			assertThat(answers(last, Duration.ofSeconds(1))).as("no descriptor left to accept the last connection").isFalse();
			long spent = cpuTicks(server.pid()) - before;
			// ...and meanwhile the server does not busy-loop on accept (100 ticks = 1 s of CPU).
			assertThat(spent).as("CPU ticks while EMFILE lasted").isLessThan(30);

			// A descriptor sent while the server has none to spare: lost, and the server goes on.
			// Either outcome is the server's right (imsg's own: the message arrives without it, or a receive that
			// cannot take it fails the connection); what must not happen is a hang, or the server ceasing to serve.
			ImsgChannel served = clients.get(1);
			served.compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), ByteBuffer.wrap(new byte[] { 1 }));
			try (Imsg reply = served.receive(WAIT)) {
				assertThat(reply).as("an answer, or the end of the connection, within %s; server log:%n%s", WAIT, log)
					.isNotNull();
				assertThat(reply.type()).isEqualTo(2);
			}
			catch (ImsgClosedException ex) {
				assertThat(served.isOpen()).isFalse();
			}
			assertThat(answers(clients.get(0), WAIT)).as("the server goes on serving its other connections").isTrue();

			// Free descriptors in the server: close the first 60 connections. Every waiting connection then resolves:
			// it is served, or it was closed at once while descriptors were short (its peer sees the end); none
			// hangs, and new connections are served.
			for (int i = 0; i < 60; i++) {
				clients.get(i).close();
			}
			int recovered = 0;
			for (int i = 60; i < clients.size(); i++) {
				ImsgChannel waiting = clients.get(i);
				if (waiting.isOpen() && answers(waiting, WAIT)) {
					recovered++;
				}
				else {
					// closed by the server (an orderly end, or a reset seen when writing): done either way
					assertThat(waiting.closeFuture().handle((v, e) -> "closed"))
						.as("connection %d, unserved, was closed, not left hanging; server log:%n%s", i, log)
						.succeedsWithin(WAIT);
				}
			}
			// With every connection closed, new ones are served again once the server has closed its side (a client
			// retries, as clients of a daemon that dropped them do); bounded by the wait.
			clients.forEach(ImsgChannel::close);
			long until = System.nanoTime() + WAIT.toNanos();
			boolean fresh = false;
			while (!fresh && System.nanoTime() < until) {
				try (ImsgChannel ch = ImsgChannel.connect(sock, ChannelOptions.defaults())) {
					fresh = answers(ch, WAIT);
				}
			}
			assertThat(fresh).as("a new connection after recovery").isTrue();
			// And nothing leaked in the server: with every client gone its descriptor count is where it started.
			long deadline = System.nanoTime() + WAIT.toNanos();
			long serverFds;
			while ((serverFds = fdCount(server.pid())) != serverFdsAtStart
					&& System.nanoTime() < deadline) {
				Thread.yield();
			}
			assertThat(serverFds).as("the server's open descriptors after the shortage").isEqualTo(serverFdsAtStart);
			// The last connection waited in the backlog all along (no descriptor to accept it): once descriptors were
			// free it was accepted and served, as were others; none was lost for good.
			assertThat(recovered).as("waiting connections served after recovery (of %d); server log:%n%s",
					clients.size() - 60, log).isPositive();
		}
		finally {
			clients.forEach(ImsgChannel::abort);
			server.destroy();
			server.waitFor(10, TimeUnit.SECONDS);
			out.close(); // the pipe from the server; its drain thread sees the end first
			server.getOutputStream().close();
		}
	}
}
