package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.WireFormat;

/**
 * Many clients of one bench-protocol server, from one process with a few threads (the server is the one under
 * test: its threads must not grow with connections).
 *
 * <ul>
 * <li>{@code idle PATH N}: opens N connections, does one PING/PONG on each (so each was accepted, authenticated
 * and served), prints {@code idle connections=N}, then holds them until stdin closes.</li>
 * <li>{@code active PATH CLIENTS N SIZE}: CLIENTS connections each send N DATA messages of SIZE bytes, then END,
 * and check the server's DONE totals; prints one result line with the aggregate rate. Exit 3 on a mismatch.</li>
 * </ul>
 * {@code --wire classic|current} picks the generation (default current).
 */
public final class ManyClients {

	private static final Duration WAIT = Duration.ofSeconds(120);

	private ManyClients() {
	}

	public static void main(String[] args) throws Exception {
		List<String> rest = new ArrayList<>(List.of(args));
		WireFormat wire = WireFormat.CURRENT;
		int at = rest.indexOf("--wire");
		if (at >= 0) {
			wire = WireFormat.valueOf(rest.get(at + 1).toUpperCase(Locale.ROOT));
			rest.remove(at + 1);
			rest.remove(at);
		}
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire).withWriteQueueLimit(1 << 20);
		switch (rest.isEmpty() ? "" : rest.get(0)) {
			case "idle" -> idle(Path.of(rest.get(1)), Integer.parseInt(rest.get(2)), options);
			case "active" -> active(Path.of(rest.get(1)), Integer.parseInt(rest.get(2)), Long.parseLong(rest.get(3)),
					Integer.parseInt(rest.get(4)), options);
			default -> {
				System.err.println("usage: ManyClients [--wire G] idle PATH N | active PATH CLIENTS N SIZE");
				System.exit(2);
			}
		}
	}

	static Imsg next(ImsgChannel ch, int type) {
		while (true) {
			Imsg m = ch.receive(WAIT);
			if (m == null) {
				throw new IllegalStateException(ch + ": no reply of type " + type + " within " + WAIT);
			}
			if (m.type() == type) {
				return m;
			}
			m.close();
		}
	}

	private static void idle(Path path, int n, ChannelOptions options) throws Exception {
		List<ImsgChannel> channels = new ArrayList<>(n);
		ByteBuffer ping = ByteBuffer.allocate(8);
		try {
			for (int i = 0; i < n; i++) {
				ImsgChannel ch = ImsgChannel.connect(path, options);
				channels.add(ch);
				ch.compose(BenchProtocolHandlers.PING, 0, 0, null, ping);
			}
			for (ImsgChannel ch : channels) {
				next(ch, BenchProtocolHandlers.PONG).close();
			}
			System.out.println("idle connections=" + n);
			System.out.flush();
			while (System.in.read() >= 0) {
				// hold until stdin closes
			}
		}
		finally {
			channels.forEach(ImsgChannel::abort);
		}
	}

	private static void active(Path path, int clients, long n, int size, ChannelOptions options) throws Exception {
		List<ImsgChannel> channels = new ArrayList<>(clients);
		for (int i = 0; i < clients; i++) {
			channels.add(ImsgChannel.connect(path, options));
		}
		int threads = 2;
		ByteBuffer payload = ByteBuffer.allocate(size);
		AtomicReference<Throwable> failure = new AtomicReference<>();
		AtomicLong mismatches = new AtomicLong();
		CountDownLatch done = new CountDownLatch(threads);
		long t0 = System.nanoTime();
		for (int t = 0; t < threads; t++) {
			int first = t;
			Thread sender = new Thread(() -> {
				try {
					// Round-robin in slices, so that every client is active at once, not one after another.
					int slice = 100;
					for (long sent = 0; sent < n; sent += slice) {
						long count = Math.min(slice, n - sent);
						for (int c = first; c < clients; c += threads) {
							ImsgChannel ch = channels.get(c);
							for (long k = 0; k < count; k++) {
								ch.compose(BenchProtocolHandlers.DATA, 0, 0, null, payload);
							}
						}
					}
					for (int c = first; c < clients; c += threads) {
						channels.get(c).compose(BenchProtocolHandlers.END, 0, 0, null);
					}
					for (int c = first; c < clients; c += threads) {
						try (Imsg totals = next(channels.get(c), BenchProtocolHandlers.DONE)) {
							ByteBuffer d = totals.payload().order(ByteOrder.nativeOrder());
							if (d.getLong(0) != n || d.getLong(8) != n * size) {
								mismatches.incrementAndGet();
								System.err.println(channels.get(c) + ": server counted msgs=" + d.getLong(0) + " bytes="
										+ d.getLong(8) + ", sent msgs=" + n + " bytes=" + n * size);
							}
						}
					}
				}
				catch (Throwable ex) {
					failure.compareAndSet(null, ex);
				}
				finally {
					done.countDown();
				}
			}, "sender-" + t);
			sender.start();
		}
		done.await();
		double secs = (System.nanoTime() - t0) / 1e9;
		channels.forEach(ImsgChannel::close);
		if (failure.get() != null) {
			failure.get().printStackTrace();
			System.exit(1);
		}
		long total = clients * n;
		System.out.println(String.format(Locale.ROOT,
				"mode=active clients=%d n=%d size=%d total=%d secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f mismatched=%d", clients,
				n, size, total, secs, total / secs, total * (double) size / 1e6 / secs, mismatches.get()));
		System.exit(mismatches.get() == 0 ? 0 : 3);
	}
}
