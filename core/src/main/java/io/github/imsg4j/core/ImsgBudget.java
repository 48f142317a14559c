package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What all the connections sharing it may hold together, on top of each connection's own limits: bytes queued
 * in either direction (messages waiting to be written to a peer, received messages waiting for a handler or for
 * {@link ImsgChannel#receive}) and received descriptors not yet taken or closed. Per-connection limits stop one
 * peer; this stops many peers together from exhausting the heap or the descriptor table. When a message to be
 * sent does not fit, the connection that holds the most queued bytes, counting what the asker asks for, is closed
 * (the peers that filled the budget by not reading are the ones cut off, not a well-behaved client that asks while
 * it is full), and if that is the asking connection itself, it is; never the process. When no connection can give
 * bytes back at once (they belong to connections already closing), a message into an empty write queue is still
 * taken, so the budget can go over its maximum by one message per connection, and received messages a listener's
 * application holds ({@link ImsgChannel#holdReceived}) make their connection stop reading instead.
 *
 * <p>Channels use {@link #shared()} unless {@link ChannelOptions#budget()} names another. Thread-safe and
 * lock-free. Every reservation has an owner the eviction scan can see (a channel's write queue, inbox or held
 * messages), which is why reserving and releasing are the core's own: an application books what it keeps through
 * {@link ImsgChannel#holdReceived}, on the connection the bytes came from.
 */
public final class ImsgBudget {

	private static final ImsgBudget SHARED = new ImsgBudget(Runtime.getRuntime().maxMemory() / 4,
			Math.max(64, openFileLimit() / 2));

	private final long maxBytes;

	private final int maxFds;

	private final AtomicLong bytes = new AtomicLong();

	private final AtomicInteger fds = new AtomicInteger();

	/** Channels that may hold bytes of this budget, so that the one holding the most can be found when it is full. */
	private final Set<ImsgChannel> holders = ConcurrentHashMap.newKeySet();

	/**
	 * @param maxBytes the most bytes queued across the connections sharing this budget; at least 1
	 * @param maxFds the most received descriptors held across them; at least 1
	 */
	public ImsgBudget(long maxBytes, int maxFds) {
		if (maxBytes < 1) {
			throw new ImsgOptionException("maxBytes", maxBytes + "B", "at least 1B");
		}
		ChannelOptions.atLeastOne("maxFds", maxFds);
		this.maxBytes = maxBytes;
		this.maxFds = maxFds;
	}

	/**
	 * The budget of every channel that names none: a quarter of the maximum heap, and half the process's
	 * open-file limit ({@code RLIMIT_NOFILE}, at least 64).
	 *
	 * @return the process-wide budget
	 */
	public static ImsgBudget shared() {
		return SHARED;
	}

	/** The soft {@code RLIMIT_NOFILE} from {@code /proc/self/limits}; 1024 when it cannot be read. */
	static int openFileLimit() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
				if (line.startsWith("Max open files")) {
					String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
					return soft.equals("unlimited") ? Integer.MAX_VALUE / 2 : (int) Math.min(Integer.MAX_VALUE / 2,
							Long.parseLong(soft));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// not Linux, or /proc is not mounted: assume the common default
		}
		return 1024;
	}

	/**
	 * @return the most bytes queued across connections
	 */
	public long maxBytes() {
		return this.maxBytes;
	}

	/**
	 * @return the most received descriptors held across connections
	 */
	public int maxFds() {
		return this.maxFds;
	}

	/**
	 * @return bytes reserved now
	 */
	public long usedBytes() {
		return this.bytes.get();
	}

	/**
	 * @return descriptors reserved now
	 */
	public int usedFds() {
		return this.fds.get();
	}

	/**
	 * Reserves {@code n} bytes if they fit.
	 *
	 * @param n bytes, not negative
	 * @return {@code false}, reserving nothing, when they would go over the budget
	 */
	boolean tryReserveBytes(long n) {
		long used;
		do {
			used = this.bytes.get();
			if (used + n > this.maxBytes) {
				return false;
			}
		}
		while (!this.bytes.compareAndSet(used, used + n));
		return true;
	}

	/**
	 * Reserves {@code n} bytes even over the maximum: for one message into a connection's empty write queue when
	 * no connection can give bytes back at once, as the write-queue limit always takes one message into an empty
	 * queue. So the bytes in use can go over {@link #maxBytes()} by at most one message per connection.
	 *
	 * @param n bytes, not negative
	 */
	void reserveBytesOver(long n) {
		this.bytes.addAndGet(n);
	}

	/**
	 * Gives back bytes reserved earlier.
	 *
	 * @param n bytes
	 */
	void releaseBytes(long n) {
		if (n != 0) {
			this.bytes.addAndGet(-n);
		}
	}

	/**
	 * Reserves one received descriptor if it fits.
	 *
	 * @return {@code false}, reserving nothing, when it would go over the budget
	 */
	boolean tryReserveFd() {
		int used;
		do {
			used = this.fds.get();
			if (used >= this.maxFds) {
				return false;
			}
		}
		while (!this.fds.compareAndSet(used, used + 1));
		return true;
	}

	/**
	 * Gives back descriptors reserved earlier.
	 *
	 * @param n how many
	 */
	void releaseFds(int n) {
		if (n != 0) {
			this.fds.addAndGet(-n);
		}
	}

	void track(ImsgChannel channel) {
		this.holders.add(channel);
	}

	void untrack(ImsgChannel channel) {
		this.holders.remove(channel);
	}

	/**
	 * The budget is full and {@code asker} could not book {@code wanted} more bytes: closes the channel that holds
	 * the most bytes it can give back at once if that is another one holding more than {@code asker} would with
	 * them. Counting what it asks for, an asker that wants more than the others hold (one huge read, say) is the
	 * one holding the most, and nobody is closed for it. What the closed one held is then zero, so a caller that
	 * retries until this returns {@code false} ends. O(channels), on this rare path only.
	 *
	 * @return whether one was closed (its bytes are given back by then)
	 */
	boolean evictLargestBut(ImsgChannel asker, long wanted) {
		ImsgChannel largest = null;
		long most = asker.budgetedBytes() + wanted;
		for (ImsgChannel c : this.holders) {
			if (c == asker) {
				continue;
			}
			long held = c.evictableBytes();
			if (held > most) {
				largest = c;
				most = held;
			}
		}
		if (largest == null) {
			return false;
		}
		long held = most;
		largest.evict(new ImsgLimitException(largest.name() + ": messages queued across connections are at the shared "
				+ this + "; closing this connection, which holds the most of it (" + held
				+ " bytes) and does not read what is sent to it"));
		return true;
	}

	@Override
	public String toString() {
		return "budget of " + this.maxBytes + " bytes (" + usedBytes() + " used) and " + this.maxFds + " descriptors ("
				+ usedFds() + " used)";
	}
}
