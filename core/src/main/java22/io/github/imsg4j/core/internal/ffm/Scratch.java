package io.github.imsg4j.core.internal.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.github.imsg4j.core.internal.WriteQueue;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Native memory one thread reuses for every call it makes: the {@code msghdr}, {@code iovec} and control buffer
 * of {@code recvmsg}/{@code sendmsg}, the {@code errno} capture, small out-parameters. Per thread rather than per
 * connection, so that an idle connection holds none; freed with the thread ({@link Arena#ofAuto()}).
 */
final class Scratch {

	private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

	final MemorySegment state;

	final MemorySegment msghdr;

	final MemorySegment iovec;

	final MemorySegment control;

	/** Out-parameters: {@code socklen_t}, {@code struct ucred}, an int pair, an eventfd counter. */
	final MemorySegment small;

	private final Arena arena = Arena.ofAuto();

	private MemorySegment bounce;

	private Scratch() {
		this.state = Posix.newState(this.arena);
		this.msghdr = this.arena.allocate(Posix.MSGHDR_SIZE, 8);
		this.iovec = this.arena.allocate(Posix.IOVEC_SIZE * WriteQueue.MAX_GATHER, 8);
		this.control = this.arena.allocate(Posix.CONTROL_SPACE, 8);
		this.small = this.arena.allocate(64, 8);
		this.bounce = this.arena.allocate(64 * 1024, 8);
		this.msghdr.set(ADDRESS, Posix.MSG_IOV, this.iovec);
		this.msghdr.set(JAVA_LONG, Posix.MSG_IOVLEN, 1);
	}

	static Scratch get() {
		return PER_THREAD.get();
	}

	/**
	 * @param size bytes needed
	 * @return native memory of at least {@code size} bytes for copying a heap buffer through
	 */
	MemorySegment bounce(long size) {
		if (this.bounce.byteSize() < size) {
			this.bounce = this.arena.allocate(Math.max(size, this.bounce.byteSize() * 2), 8);
		}
		return this.bounce;
	}
}
