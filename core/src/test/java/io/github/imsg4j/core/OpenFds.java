package io.github.imsg4j.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Asserts that every test leaves the process's open-descriptor count ({@code /proc/self/fd}) where it found
 * it. Closing is partly asynchronous (event loops finish it), so the check waits up to five seconds for the
 * count to come back before failing.
 */
public final class OpenFds implements BeforeEachCallback, AfterEachCallback {

	private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(OpenFds.class);

	/**
	 * The suite's own log file (the root pom's {@code imsg4j.test.log-file}), which a module's logback opens on its
	 * first log line, possibly inside a test, and keeps open: the harness's, not a leak of the test's.
	 */
	private static final String SUITE_LOG = System.getProperty("imsg4j.test.log-file", "");

	static {
		// The first temporary file makes glibc open a socket it keeps for user look-ups: open it now.
		try {
			Files.delete(Files.createTempFile("imsg4j", ".warm"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		// java.util.logging opens its handlers (the core tests' log file) on first use, and keeps them open.
		java.util.logging.Logger.getLogger("").getHandlers();
		// Start the shared event loops and load junixsocket before any baseline is taken.
		try (ImsgChannel.Pair warm = ImsgChannel.pair(ChannelOptions.defaults().withFdPassing(true))) {
			warm.first().compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")));
			warm.first().flush(Duration.ofSeconds(5));
			Imsg m = warm.second().receive(Duration.ofSeconds(5));
			if (m != null) {
				m.close();
			}
		}
	}

	/**
	 * @return the number of entries in {@code /proc/self/fd} (the listing's own descriptor excluded)
	 */
	public static int count() {
		try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
			return (int) s.count() - 1;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Waits up to five seconds for the count to reach {@code expected}.
	 *
	 * @param expected the count to reach
	 * @return the last count seen
	 */
	public static int awaitCount(int expected) {
		long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
		int now = count();
		while (now != expected && System.nanoTime() < deadline) {
			Thread.onSpinWait();
			Thread.yield();
			now = count();
		}
		return now;
	}

	/**
	 * @return every open descriptor and what it points to, for failure messages
	 */
	public static java.util.Map<String, String> listing() {
		java.util.Map<String, String> out = new java.util.TreeMap<>();
		try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
			s.forEach((p) -> {
				try {
					out.put(p.getFileName().toString(), Files.readSymbolicLink(p).toString());
				}
				catch (IOException ex) {
					// the listing's own descriptor, gone already
				}
			});
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return out;
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		context.getStore(NS).put("before", count());
		context.getStore(NS).put("listing", listing());
	}

	@Override
	@SuppressWarnings("unchecked")
	public void afterEach(ExtensionContext context) {
		int before = context.getStore(NS).get("before", Integer.class);
		java.util.Map<String, String> start = context.getStore(NS).get("listing", java.util.Map.class);
		int after = awaitCount(before);
		if (after != before) {
			// Fewer than at the start is no leak of this test's: something open at its start (a descriptor an
			// earlier test's event loop was still closing) has closed since. What counts is that every descriptor
			// the test opened is gone: compared by target too, as a number may be reused for another socket.
			java.util.Map<String, String> now = listing();
			now.entrySet().removeAll(start.entrySet());
			now.values().removeIf((target) -> target.startsWith("/proc/") || target.equals(SUITE_LOG));
			assertThat(now).as("open file descriptors after %s (%d at its start, %d now) that were not open at its start",
					context.getDisplayName(), before, after).isEmpty();
		}
	}
}
