package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomized tests of the receive path over real sockets: streams of random messages cut at random points,
 * with descriptors on the writes that carry their messages' first bytes, must arrive intact; random garbage
 * with random descriptors must end in messages or a protocol error, never anything else, and leave no
 * descriptor open (checked after every case). Each runs for {@code imsg4j.fuzz.seconds} (default 5) with fresh
 * seeds; a failure names its seed, and {@code -Dimsg4j.fuzz.seed=N} replays exactly that case.
 */
@ExtendWith(OpenFds.class)
class DecoderFuzzTest {

	static final Duration WAIT = Duration.ofSeconds(10);

	static final ChannelOptions FDS = ChannelOptions.defaults().withFdPassing(true);

	static Path file;

	@BeforeAll
	static void file() throws IOException {
		file = Files.writeString(Files.createTempFile("imsg4j-fuzz", ".txt"), "fuzz");
	}

	@AfterAll
	static void remove() throws IOException {
		Files.delete(file);
	}

	static List<Long> seeds() {
		String fixed = System.getProperty("imsg4j.fuzz.seed");
		if (fixed != null) {
			return List.of(Long.parseLong(fixed));
		}
		List<Long> seeds = new ArrayList<>();
		Random r = new Random();
		for (int i = 0; i < 100_000; i++) {
			seeds.add(r.nextLong());
		}
		return seeds;
	}

	/** One randomized case, fully determined by its seed. */
	@FunctionalInterface
	interface SeedCase {
		void run(long seed) throws Exception;
	}

	/** Runs cases with fresh seeds (or the one given) for imsg4j.fuzz.seconds; returns how many ran. */
	static int forEachSeed(SeedCase body) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("imsg4j.fuzz.seconds", 5));
		int cases = 0;
		for (long seed : seeds()) {
			if (cases > 0 && System.nanoTime() > deadline) {
				break;
			}
			cases++;
			body.run(seed);
		}
		return cases;
	}

	/** A message as sent. */
	record Sent(int type, int peerid, int pid, byte[] payload, boolean fd) {
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void randomMessagesCutAtRandomPointsArriveIntact(WireFormat wire) throws Exception {
		int cases = forEachSeed((seed) -> {
			Random r = new Random(seed);
			List<Sent> sent = new ArrayList<>();
			List<byte[]> frames = new ArrayList<>();
			int n = 1 + r.nextInt(40);
			for (int i = 0; i < n; i++) {
				byte[] payload = new byte[r.nextInt(8) == 0 ? r.nextInt(16000) : r.nextInt(200)];
				r.nextBytes(payload);
				Sent s = new Sent(r.nextInt(), r.nextInt(), 1 + r.nextInt(Integer.MAX_VALUE - 1), payload, r.nextInt(3) == 0);
				sent.add(s);
				frames.add(RawPeer.message(wire, s.type(), 16 + payload.length, s.fd(), s.peerid(), s.pid(), payload));
			}
			byte[] stream = RawPeer.concat(frames.toArray(new byte[0][]));
			// Cut points: random ones, plus one before every fd message (one descriptor per sendmsg).
			TreeSet<Integer> cuts = new TreeSet<>();
			int at = 0;
			List<Integer> fdStarts = new ArrayList<>();
			for (int i = 0; i < n; i++) {
				if (sent.get(i).fd()) {
					cuts.add(at);
					fdStarts.add(at);
				}
				at += frames.get(i).length;
			}
			for (int i = r.nextInt(10); i > 0; i--) {
				cuts.add(r.nextInt(stream.length));
			}
			cuts.remove(0);
			cuts.add(stream.length);
			try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
				int from = 0;
				for (int to : cuts) {
					int start = from;
					boolean carriesFd = fdStarts.stream().anyMatch((s) -> s >= start && s < to);
					p.write(stream, from, to, carriesFd ? new FileDescriptor[] { open() } : new FileDescriptor[0]);
					from = to;
				}
				for (int i = 0; i < n; i++) {
					Sent s = sent.get(i);
					try (Imsg m = p.channel.receive(WAIT)) {
						String where = "seed " + seed + ", message " + i + " of " + n;
						assertThat(m).as(where).isNotNull();
						assertThat(m.type()).as(where).isEqualTo(s.type());
						assertThat(m.peerId()).as(where).isEqualTo(s.peerid());
						assertThat(m.pid()).as(where).isEqualTo(s.pid());
						assertThat(m.bytes()).as(where).isEqualTo(s.payload());
						assertThat(m.hasFd()).as(where).isEqualTo(s.fd());
						if (s.fd()) {
							try (FileInputStream in = new FileInputStream(m.takeFd())) {
								assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(where).isEqualTo("fuzz");
							}
						}
					}
				}
			}
		});
		System.out.println("DecoderFuzzTest " + wire + ": " + cases + " random message streams");
		assertThat(cases).isPositive();
	}

	@ParameterizedTest
	@EnumSource(WireFormat.class)
	void randomGarbageEndsInMessagesOrAProtocolErrorAndLeaksNothing(WireFormat wire) throws Exception {
		int cases = forEachSeed((seed) -> {
			Random r = new Random(seed);
			try (RawPeer p = RawPeer.connect(FDS.withWireFormat(wire), null)) {
				int writes = 1 + r.nextInt(6);
				for (int w = 0; w < writes; w++) {
					byte[] junk;
					if (r.nextBoolean()) {
						// plausible: a header with a random length, flags and payload
						byte[] payload = new byte[r.nextInt(64)];
						r.nextBytes(payload);
						int len = r.nextInt(4) == 0 ? r.nextInt() : 16 + payload.length + r.nextInt(3) - 1;
						junk = RawPeer.message(wire, r.nextInt(), len & ((wire == WireFormat.CLASSIC) ? 0xFFFF : -1),
								r.nextBoolean(), r.nextInt(), r.nextInt(), payload);
					}
					else {
						junk = new byte[r.nextInt(100)];
						r.nextBytes(junk);
					}
					FileDescriptor[] fds = new FileDescriptor[r.nextInt(3)];
					for (int i = 0; i < fds.length; i++) {
						fds[i] = open();
					}
					if (junk.length == 0) {
						for (FileDescriptor fd : fds) {
							Fds.close(fd);
						}
						continue;
					}
					try {
						p.write(junk, fds);
					}
					catch (IOException ex) {
						break; // the channel already closed on an earlier write's bad header
					}
				}
				p.socket.shutdownOutput();
				// Whatever arrives is a message; the end is an orderly close or a protocol error, nothing else.
				while (true) {
					Imsg m;
					try {
						m = p.channel.receive(WAIT);
					}
					catch (ImsgClosedException ex) {
						break;
					}
					assertThat(m).as("seed %d: the channel neither delivers nor ends", seed).isNotNull();
					m.close();
				}
				try {
					p.channel.closeFuture().get(10, TimeUnit.SECONDS);
				}
				catch (ExecutionException ex) {
					assertThat(ex.getCause()).as("seed %d", seed).isInstanceOf(ImsgProtocolException.class);
				}
			}
			// Checked per case, not only at the end, so that a leak names its seed.
			assertThat(awaitNoneOpen(file)).as("seed %d: descriptors naming the sent file still open", seed).isZero();
		});
		System.out.println("DecoderFuzzTest " + wire + ": " + cases + " random garbage streams");
		assertThat(cases).isPositive();
	}

	/** Waits up to five seconds (closing is partly the loop's) for no descriptor to name {@code target}; returns how many do. */
	static long awaitNoneOpen(Path target) {
		long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
		long open = count(target);
		while (open > 0 && System.nanoTime() < deadline) {
			Thread.yield();
			open = count(target);
		}
		return open;
	}

	private static long count(Path target) {
		return OpenFds.listing().values().stream().filter(target.toString()::equals).count();
	}

	static FileDescriptor open() throws IOException {
		return new FileInputStream(file.toFile()).getFD();
	}
}
