package io.github.imsg4j.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.ImsgSocketLayer;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.WireFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The bench protocol of {@code ../shared/bench-protocol.md}, with exactly its commands, arguments and output
 * lines, {@code impl=imsg4j}. {@code --warmup N} first runs the same workload over a separate connection
 * (JIT-compiled code runs warm in a daemon); the line then says {@code warmup=N}. {@code --warmup-secs S}
 * repeats that run until S seconds have passed (on a busy 2-CPU machine the JIT takes seconds to finish); the
 * line then also says {@code warmup_runs=R}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "The bench protocol (server, send, ping).",
		subcommands = { BenchCommand.Server.class, BenchCommand.Send.class, BenchCommand.Ping.class })
final class BenchCommand {

	static final int DATA = 1;

	static final int PING = 2;

	static final int PONG = 3;

	static final int END = 4;

	static final int DONE = 5;

	static final Duration WAIT = Duration.ofSeconds(60);

	static ChannelOptions options(WireFormat wire) {
		return ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true).withWriteQueueLimit(8L << 20);
	}

	static Imsg next(ImsgChannel ch, int type) {
		while (true) {
			Imsg m = ch.receive(WAIT);
			if (m == null) {
				throw new IllegalStateException("no reply within " + WAIT);
			}
			if (m.type() == type) {
				return m;
			}
			m.close();
		}
	}

	static void die(int status, String message) {
		System.err.println("imsg4j bench: " + message);
		System.exit(status);
	}

	/** {@code server PATH}: serves any number of clients until SIGTERM/SIGINT, then removes PATH. */
	@Command(name = "server", description = "Serve the bench protocol on PATH until SIGTERM.")
	static final class Server implements Callable<Integer> {

		@Option(names = "--wire", defaultValue = "current", description = "classic or current")
		WireFormat wire;

		@Parameters(paramLabel = "PATH")
		Path path;

		@Mixin
		ListenerOptions listener;

		@Override
		public Integer call() throws Exception {
			Termination termination = new Termination();
			try (ImsgServer server = ImsgServer.listen(this.path, options(this.wire), this.listener.listenOptions(),
					(peer) -> {
						if (!this.listener.allows(peer)) {
							this.listener.refused("bench server", peer);
							return null;
						}
						return new Counter();
					})) {
				System.err.println("imsg4j bench server: " + ImsgSocketLayer.describe());
				System.out.println("listening path=" + this.path);
				System.out.flush();
				termination.await();
			}
			return 0;
		}
	}

	/** One connection's DATA totals; answers PING and END. */
	static final class Counter implements ImsgListener {

		private long msgs;

		private long bytes;

		private long fds;

		@Override
		public void onMessage(ImsgChannel ch, Imsg m) {
			try (m) {
				switch (m.type()) {
					case DATA -> {
						this.msgs++;
						this.bytes += m.length();
						if (m.hasFd()) {
							this.fds++; // closed with the message, right below, as the C peer closes it unused
						}
					}
					case PING -> ch.compose(PONG, 0, 0, null, m.payload());
					case END -> ch.create(DONE, 0, 0, null).addH64(this.msgs).addH64(this.bytes).addH64(this.fds).close();
					default -> {
					}
				}
			}
		}
	}

	/** One run of a client's workload: {@code count} messages or round trips over a connection of its own. */
	@FunctionalInterface
	interface Run {

		void messages(int count) throws InterruptedException;
	}

	/** What both clients take: the generation, the warm-up, the server's path. */
	static final class Client {

		@Option(names = "--wire", defaultValue = "current", description = "classic or current")
		WireFormat wire;

		@Option(names = "--warmup", defaultValue = "0", description = "first run this many over another connection")
		int warmup;

		@Option(names = "--warmup-secs", defaultValue = "0", description = "repeat the --warmup run until this many "
				+ "seconds have passed")
		double warmupSecs;

		private int warmupRuns;

		@Option(names = "--caller-reads", description = "receive() reads the socket on the client's own thread "
				+ "(ChannelOptions.withCallerReads; FFM transport only) instead of the event loop handing replies over")
		boolean callerReads;

		@Parameters(index = "0", paramLabel = "PATH")
		Path path;

		ChannelOptions options() {
			return BenchCommand.options(this.wire).withCallerReads(this.callerReads);
		}

		/** Runs the warm-up, {@code --warmup} messages at a time, until {@code --warmup-secs} have passed. */
		void warmUp(Run run) throws InterruptedException {
			if (this.warmup <= 0) {
				return;
			}
			long until = System.nanoTime() + (long) (this.warmupSecs * 1e9);
			do {
				run.messages(this.warmup);
				this.warmupRuns++;
			}
			while (System.nanoTime() - until < 0);
		}

		String warmupNote() {
			return ((this.warmup > 0) ? " warmup=" + this.warmup : "")
					+ ((this.warmupRuns > 1) ? " warmup_runs=" + this.warmupRuns : "")
					+ (this.callerReads ? " caller_reads=1" : "");
		}
	}

	/** {@code send PATH N SIZE [fd]}. */
	@Command(name = "send", description = "Send N DATA messages of SIZE bytes (each with a descriptor with 'fd'), then END.")
	static final class Send implements Callable<Integer> {

		@Mixin
		Client client;

		@Parameters(index = "1", paramLabel = "N")
		long n;

		@Parameters(index = "2", paramLabel = "SIZE")
		int size;

		@Parameters(index = "3", arity = "0..1", paramLabel = "fd")
		String fd;

		@Override
		public Integer call() throws InterruptedException {
			boolean withFd = "fd".equals(this.fd);
			try {
				this.client.warmUp(count -> run(count, withFd));
				long t0 = System.nanoTime();
				run(this.n, withFd);
				double secs = (System.nanoTime() - t0) / 1e9;
				System.out.println(String.format(Locale.ROOT,
						"mode=send impl=imsg4j n=%d size=%d fds=%d secs=%.6f msgs_per_s=%.0f mb_per_s=%.1f%s", this.n,
						this.size, withFd ? this.n : 0, secs, this.n / secs, (double) this.n * this.size / 1e6 / secs,
						this.client.warmupNote()));
				return 0;
			}
			catch (ImsgException | IllegalStateException ex) {
				System.err.println("imsg4j bench: " + ex.getMessage());
				return 1;
			}
		}

		private void run(long count, boolean withFd) {
			ByteBuffer payload = ByteBuffer.allocate(this.size);
			for (int i = 0; i < this.size; i++) {
				payload.put(i, (byte) i);
			}
			try (ImsgChannel ch = ImsgChannel.connect(this.client.path, this.client.options())) {
				for (long i = 0; i < count; i++) {
					ch.compose(DATA, 0, 0, withFd ? OutboundFd.openReadOnly(Path.of("/dev/null")) : null, payload);
				}
				ch.compose(END, 0, 0, null);
				ch.flush();
				try (Imsg done = next(ch, DONE)) {
					ByteBuffer d = done.payload().order(ByteOrder.nativeOrder());
					long msgs = d.getLong(0);
					long bytes = d.getLong(8);
					long fds = d.getLong(16);
					if (done.length() != 24 || msgs != count || bytes != count * this.size || fds != (withFd ? count : 0)) {
						die(3, "count mismatch: server got msgs=" + msgs + " bytes=" + bytes + " fds=" + fds + ", sent msgs="
								+ count + " bytes=" + count * this.size + " fds=" + (withFd ? count : 0));
					}
				}
			}
		}
	}

	/** {@code ping PATH N SIZE}. */
	@Command(name = "ping", description = "N sequential PING/PONG round trips of SIZE bytes.")
	static final class Ping implements Callable<Integer> {

		@Mixin
		Client client;

		@Parameters(index = "1", paramLabel = "N")
		int n;

		@Parameters(index = "2", paramLabel = "SIZE")
		int size;

		@Option(names = "--clients", defaultValue = "1",
				description = "run this many clients at once, each over its own connection (an extension of the protocol: "
						+ "the line then says clients=K, and p50/p99 are the medians of the clients' own p50 and p99, "
						+ "as for K separate client processes)")
		int clients;

		@Override
		public Integer call() throws InterruptedException {
			try {
				this.client.warmUp(this::runClients);
				long t0 = System.nanoTime();
				long[][] rtts = runClients(this.n);
				double secs = (System.nanoTime() - t0) / 1e9;
				double[] p50s = new double[rtts.length];
				double[] p99s = new double[rtts.length];
				double max = 0;
				for (int c = 0; c < rtts.length; c++) {
					long[] rtt = rtts[c];
					Arrays.sort(rtt);
					int p50 = (this.n > 0) ? (this.n - 1) * 50 / 100 : 0;
					int p99 = (this.n > 0) ? (int) (((long) this.n * 99 + 99) / 100 - 1) : 0;
					p50s[c] = rtt[p50] / 1e3;
					p99s[c] = rtt[p99] / 1e3;
					max = Math.max(max, (this.n > 0) ? rtt[this.n - 1] / 1e3 : 0.0);
				}
				System.out.println(String.format(Locale.ROOT,
						"mode=ping impl=imsg4j n=%d size=%d secs=%.6f rtt_per_s=%.0f p50_us=%.2f p99_us=%.2f max_us=%.2f%s%s",
						this.n, this.size, secs, (double) this.n * rtts.length / secs, median(p50s), median(p99s), max,
						(this.clients > 1) ? " clients=" + this.clients : "", this.client.warmupNote()));
				return 0;
			}
			catch (ImsgException | IllegalStateException ex) {
				System.err.println("imsg4j bench: " + ex.getMessage());
				return 1;
			}
		}

		private static double median(double[] values) {
			double[] v = values.clone();
			Arrays.sort(v);
			int k = v.length;
			return (k % 2 == 1) ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
		}

		/** Each client's round-trip times. */
		private long[][] runClients(int count) throws InterruptedException {
			if (this.clients <= 1) {
				return new long[][] { run(count) };
			}
			long[][] each = new long[this.clients][];
			RuntimeException[] failed = new RuntimeException[1];
			Thread[] threads = new Thread[this.clients];
			for (int c = 0; c < this.clients; c++) {
				int k = c;
				threads[c] = new Thread(() -> {
					try {
						each[k] = run(count);
					}
					catch (RuntimeException ex) {
						synchronized (failed) {
							failed[0] = ex;
						}
					}
				}, "ping-" + c);
				threads[c].start();
			}
			for (Thread t : threads) {
				t.join();
			}
			synchronized (failed) {
				if (failed[0] != null) {
					throw failed[0];
				}
			}
			return each;
		}

		private long[] run(int count) {
			long[] rtt = new long[Math.max(count, 1)];
			byte[] payload = new byte[this.size];
			for (int k = 0; k < this.size; k++) {
				payload[k] = (byte) (k * 7 + 3);
			}
			ByteBuffer buf = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
			try (ImsgChannel ch = ImsgChannel.connect(this.client.path, this.client.options())) {
				for (int i = 0; i < count; i++) {
					// every payload distinct, so that a stale echo is caught
					if (this.size >= 8) {
						buf.putLong(0, i);
					}
					else if (this.size > 0) {
						payload[0] = (byte) i;
					}
					long t = System.nanoTime();
					ch.compose(PING, 0, 0, null, buf);
					ch.flush();
					try (Imsg pong = next(ch, PONG)) {
						rtt[i] = System.nanoTime() - t;
						if (!pong.payload().equals(ByteBuffer.wrap(payload))) {
							die(3, "PONG " + i + " does not echo the PING payload");
						}
					}
				}
			}
			return rtt;
		}
	}
}
