package io.github.imsg4j.demo;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@link OpenPolicy#open} so that nothing a peer places at an allowed path can stall other peers. An
 * {@code open(2)} can block: on a FIFO swapped in after the policy's check (until someone writes to it), or
 * on a file whose owner holds a write lease (up to {@code lease-break-time}, 45 s by default). Java 17 cannot
 * open with {@code O_NONBLOCK}, so opens run on their own small pool, never on the imsg handler threads;
 * each uid may have {@value #PER_UID} opens in progress (more are denied at once, "busy"), so one user cannot
 * take the pool from the others, and all uids together {@value #MAX_IN_PROGRESS}, so that the worker, which
 * names the uid and is trusted with nothing, cannot grow this process's state by naming new ones: the map of
 * uids holds only those with an open in progress, and the pool's queue is bounded by the same cap. An open still
 * running after {@value #WATCHDOG_MS} ms whose path now
 * names a FIFO is released by opening that FIFO read-write ourselves (which never blocks on Linux and
 * counts as the writer the open waits for): the opened descriptor is then not a regular file and denied.
 */
final class Opener implements AutoCloseable {

	private static final Log LOG = LogFactory.getLog(Opener.class);

	static final int THREADS = 8;

	static final int PER_UID = 2;

	/** Opens in progress across all uids: running on the pool or waiting for one of its threads. */
	static final int MAX_IN_PROGRESS = 64;

	static final long WATCHDOG_MS = 500;

	private static final int S_IFMT = 0170000;

	private static final int S_IFIFO = 0010000;

	private final OpenPolicy policy;

	private final ExecutorService pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS,
			new ArrayBlockingQueue<>(MAX_IN_PROGRESS), daemon("opener-"));

	private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(daemon("opener-watchdog-"));

	/** Opens in progress per uid; a uid leaves the map when its last open completes. Guarded by itself. */
	private final Map<Long, Integer> inProgress = new HashMap<>();

	/** Opens in progress across uids; guarded by {@link #inProgress}. */
	private int total;

	Opener(OpenPolicy policy) {
		this.policy = policy;
	}

	private static java.util.concurrent.ThreadFactory daemon(String prefix) {
		AtomicInteger n = new AtomicInteger();
		return (r) -> {
			Thread t = new Thread(r, prefix + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		};
	}

	/**
	 * Opens {@code requested} for a peer of {@code uid}, off the caller's thread.
	 *
	 * @return the outcome, once the open is done
	 */
	CompletableFuture<OpenPolicy.Outcome> open(String requested, long uid) {
		String busy = admit(uid);
		if (busy != null) {
			return CompletableFuture.completedFuture(new OpenPolicy.Denied(busy));
		}
		CompletableFuture<OpenPolicy.Outcome> outcome;
		try {
			outcome = CompletableFuture.supplyAsync(() -> this.policy.open(requested), this.pool);
		}
		catch (RejectedExecutionException ex) {
			finished(uid); // closed: the application is stopping
			return CompletableFuture.completedFuture(new OpenPolicy.Denied("stopping"));
		}
		this.watchdog.schedule(() -> {
			if (!outcome.isDone()) {
				releaseFifo(requested);
			}
		}, WATCHDOG_MS, TimeUnit.MILLISECONDS);
		// the caller sees the outcome only once the open no longer counts as in progress
		return outcome.whenComplete((o, e) -> finished(uid));
	}

	/** Counts an open of {@code uid} in; the reason it is refused, or {@code null}. */
	private @Nullable String admit(long uid) {
		synchronized (this.inProgress) {
			if (this.total >= MAX_IN_PROGRESS) {
				return "busy: " + MAX_IN_PROGRESS + " opens are still in progress";
			}
			int mine = this.inProgress.getOrDefault(uid, 0);
			if (mine >= PER_UID) {
				return "busy: " + PER_UID + " opens of this user are still in progress";
			}
			this.inProgress.put(uid, mine + 1);
			this.total++;
			return null;
		}
	}

	private void finished(long uid) {
		synchronized (this.inProgress) {
			this.total--;
			this.inProgress.computeIfPresent(uid, (u, n) -> (n > 1) ? n - 1 : null);
		}
	}

	/** Uids with an open in progress, for tests: what the worker's requests left behind. */
	int uidsInProgress() {
		synchronized (this.inProgress) {
			return this.inProgress.size();
		}
	}

	/** If {@code requested} names a FIFO now, becomes its writer for a moment so that a blocked open returns. */
	private static void releaseFifo(String requested) {
		try {
			Path real = Path.of(requested).toRealPath();
			int mode = (Integer) Files.getAttribute(real, "unix:mode", LinkOption.NOFOLLOW_LINKS);
			if ((mode & S_IFMT) != S_IFIFO) {
				return;
			}
			try (RandomAccessFile writer = new RandomAccessFile(real.toFile(), "rw")) {
				LOG.info("released an open blocked on a FIFO swapped in at an allowed path");
			}
		}
		catch (IOException | RuntimeException ex) {
			// not ours to open (then the open waits for the FIFO's owner), or gone: nothing more to do
		}
	}

	@Override
	public void close() {
		this.watchdog.shutdownNow();
		this.pool.shutdownNow();
	}
}
