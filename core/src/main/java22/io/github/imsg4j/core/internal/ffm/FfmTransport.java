package io.github.imsg4j.core.internal.ffm;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.internal.DescriptorLifetime;
import io.github.imsg4j.core.internal.HeldFd;
import io.github.imsg4j.core.internal.OutgoingFd;
import io.github.imsg4j.core.internal.Transport;
import io.github.imsg4j.core.internal.WriteQueue;
import org.jspecify.annotations.Nullable;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A connected {@code AF_UNIX} stream socket read and written with {@code recvmsg(2)}/{@code sendmsg(2)} through
 * the foreign-function API. The control buffer holds {@code CMSG_SPACE(253 * sizeof(int))}, everything one
 * {@code sendmsg} can carry, so the kernel never truncates it ({@code MSG_CTRUNC}, which would leave installed
 * descriptors nobody knows of); received descriptors are close-on-exec ({@code MSG_CMSG_CLOEXEC}) and are plain
 * numbers, registered nowhere, until the channel asks for them.
 */
final class FfmTransport implements Transport {

	private static final HeldFd[] NONE = new HeldFd[0];

	private final int fd;

	private final boolean receiveFds;

	private final PeerCredentials credentials;

	/** The object the descriptor was adopted through, closed through it in the end; {@code null} when it is ours. */
	private final @Nullable FileDescriptor adoptedFrom;

	/**
	 * Descriptors of the last read, not yet taken. The reading thread's, under a use of {@link #lifetime}; the
	 * release closes those left, after the last use (whose end publishes them).
	 */
	private int[] received = new int[4];

	private int receivedCount;

	/** When {@link #fd} goes back to the kernel: never under a {@code recvmsg}, {@code sendmsg} or {@code poll}. */
	private final DescriptorLifetime lifetime = new DescriptorLifetime(this::release);

	FfmTransport(int fd, boolean receiveFds, @Nullable FileDescriptor adoptedFrom) throws IOException {
		this.fd = fd;
		this.receiveFds = receiveFds;
		this.adoptedFrom = adoptedFrom;
		this.credentials = peerCredentials(fd);
	}

	int fd() {
		return this.fd;
	}

	@Override
	public boolean supportsCallerReads() {
		return true;
	}

	@Override
	public boolean awaitReadable(long nanos) throws IOException {
		this.lifetime.begin();
		try {
			return poll(nanos);
		}
		finally {
			this.lifetime.end();
		}
	}

	private boolean poll(long nanos) throws IOException {
		Scratch s = Scratch.get();
		MemorySegment pollfd = s.small;
		pollfd.set(JAVA_INT, 0, this.fd);
		pollfd.set(JAVA_SHORT, 4, Posix.POLLIN);
		pollfd.set(JAVA_SHORT, 6, (short) 0);
		// poll(2) counts milliseconds: round up, so that a short wait is not a busy one
		int millis = (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000);
		int rc;
		try {
			rc = (int) Posix.POLL.invokeExact(s.state, pollfd, 1L, millis);
		}
		catch (Throwable ex) {
			throw FfmSocketLayer.rethrow(ex);
		}
		if (rc < 0) {
			int errno = Posix.errno(s.state);
			if (errno == Posix.EINTR) {
				return true; // the caller reads, finds nothing, and waits again
			}
			throw Posix.failure("poll", errno);
		}
		return rc > 0;
	}

	/** Wakes a thread in {@link #poll}: called by {@link #close()} under a use, so the number is still ours. */
	private void shutdownInput() {
		Scratch s = Scratch.get();
		try {
			int ignored = (int) Posix.SHUTDOWN.invokeExact(s.state, this.fd, Posix.SHUT_RD);
		}
		catch (Throwable ex) {
			// the socket closes next anyway
		}
	}

	@Override
	public int read(ByteBuffer dst) throws IOException {
		this.lifetime.begin();
		try {
			return receive(dst);
		}
		finally {
			this.lifetime.end();
		}
	}

	private int receive(ByteBuffer dst) throws IOException {
		int remaining = dst.remaining();
		if (remaining == 0) {
			return 0;
		}
		Scratch s = Scratch.get();
		boolean direct = dst.isDirect();
		MemorySegment target = direct ? MemorySegment.ofBuffer(dst) : s.bounce(remaining);
		s.iovec.set(ADDRESS, 0, target);
		s.iovec.set(JAVA_LONG, 8, remaining);
		MemorySegment msg = s.msghdr;
		msg.set(JAVA_LONG, Posix.MSG_IOVLEN, 1);
		if (this.receiveFds) {
			msg.set(ADDRESS, Posix.MSG_CONTROL, s.control);
			msg.set(JAVA_LONG, Posix.MSG_CONTROLLEN, Posix.CONTROL_SPACE);
		}
		else {
			// no control buffer: the kernel closes whatever descriptors arrive (imsgbuf_allow_fdpass off)
			msg.set(ADDRESS, Posix.MSG_CONTROL, MemorySegment.NULL);
			msg.set(JAVA_LONG, Posix.MSG_CONTROLLEN, 0);
		}
		msg.set(JAVA_INT, Posix.MSG_FLAGS, 0);
		long n;
		try {
			do {
				n = (long) Posix.RECVMSG.invokeExact(s.state, this.fd, msg, Posix.MSG_CMSG_CLOEXEC);
			}
			while (n < 0 && Posix.errno(s.state) == Posix.EINTR);
		}
		catch (Throwable ex) {
			throw new IOException("recvmsg failed: " + ex, ex);
		}
		if (n < 0) {
			failUnlessNotReady("recvmsg", s);
			return 0;
		}
		if (this.receiveFds) {
			collectDescriptors(s);
		}
		// Without a control buffer the kernel discards arriving descriptors and says MSG_CTRUNC: nothing was installed.
		if (this.receiveFds && (msg.get(JAVA_INT, Posix.MSG_FLAGS) & Posix.MSG_CTRUNC) != 0) {
			closeReceived();
			throw new IOException("recvmsg: control data truncated (MSG_CTRUNC)");
		}
		if (n == 0) {
			return -1;
		}
		if (!direct) {
			MemorySegment.copy(target, JAVA_BYTE, 0, dst.array(), dst.arrayOffset() + dst.position(), (int) n);
		}
		dst.position(dst.position() + (int) n);
		return (int) n;
	}

	/** Every {@code SCM_RIGHTS} descriptor of the control data the kernel returned. */
	private void collectDescriptors(Scratch s) {
		long length = s.msghdr.get(JAVA_LONG, Posix.MSG_CONTROLLEN);
		long at = 0;
		while (at + Posix.CMSG_HEADER <= length) {
			long cmsgLen = s.control.get(JAVA_LONG, at);
			if (cmsgLen < Posix.CMSG_HEADER || at + cmsgLen > length) {
				break;
			}
			int level = s.control.get(JAVA_INT, at + 8);
			int type = s.control.get(JAVA_INT, at + 12);
			if (level == Posix.SOL_SOCKET && type == Posix.SCM_RIGHTS) {
				int count = (int) ((cmsgLen - Posix.CMSG_HEADER) / 4);
				for (int i = 0; i < count; i++) {
					if (this.receivedCount == this.received.length) {
						this.received = Arrays.copyOf(this.received, this.received.length * 2);
					}
					this.received[this.receivedCount++] = s.control.get(JAVA_INT, at + Posix.CMSG_HEADER + 4L * i);
				}
			}
			at += (cmsgLen + 7) & ~7L;
		}
	}

	@Override
	public HeldFd[] takeReceivedFds() {
		try {
			this.lifetime.begin();
		}
		catch (java.nio.channels.ClosedChannelException ex) {
			return NONE; // closing: the release closes them
		}
		try {
			int count = this.receivedCount;
			if (count == 0) {
				return NONE;
			}
			this.receivedCount = 0;
			HeldFd[] out = new HeldFd[count];
			for (int i = 0; i < count; i++) {
				out[i] = new NumberFd(this.received[i]);
			}
			return out;
		}
		finally {
			this.lifetime.end();
		}
	}

	@Override
	public long write(ByteBuffer[] srcs, int buffers, @Nullable OutgoingFd fd) throws IOException {
		this.lifetime.begin();
		try {
			return send(srcs, buffers, fd);
		}
		finally {
			this.lifetime.end();
		}
	}

	private long send(ByteBuffer[] srcs, int buffers, @Nullable OutgoingFd fd) throws IOException {
		Scratch s = Scratch.get();
		int count = Math.min(buffers, WriteQueue.MAX_GATHER); // the scratch iovec array's size; the rest goes next time
		int iovs = gather(s, srcs, count);
		MemorySegment msg = s.msghdr;
		msg.set(JAVA_LONG, Posix.MSG_IOVLEN, iovs);
		if (fd != null) {
			s.control.set(JAVA_LONG, 0, Posix.CMSG_HEADER + 4);
			s.control.set(JAVA_INT, 8, Posix.SOL_SOCKET);
			s.control.set(JAVA_INT, 12, Posix.SCM_RIGHTS);
			int number = fd.heldNumber();
			s.control.set(JAVA_INT, Posix.CMSG_HEADER, (number >= 0) ? number : FfmSocketLayer.numberOf(fd.object()));
			msg.set(ADDRESS, Posix.MSG_CONTROL, s.control);
			msg.set(JAVA_LONG, Posix.MSG_CONTROLLEN, Posix.CMSG_HEADER + 8);
		}
		else {
			msg.set(ADDRESS, Posix.MSG_CONTROL, MemorySegment.NULL);
			msg.set(JAVA_LONG, Posix.MSG_CONTROLLEN, 0);
		}
		msg.set(JAVA_INT, Posix.MSG_FLAGS, 0);
		long n;
		try {
			do {
				n = (long) Posix.SENDMSG.invokeExact(s.state, this.fd, msg, Posix.MSG_NOSIGNAL | Posix.MSG_DONTWAIT);
			}
			while (n < 0 && Posix.errno(s.state) == Posix.EINTR);
		}
		catch (Throwable ex) {
			throw new IOException("sendmsg failed: " + ex, ex);
		}
		if (n < 0) {
			failUnlessNotReady("sendmsg", s);
			return 0;
		}
		long left = n;
		for (int i = 0; i < count && left > 0; i++) {
			ByteBuffer src = srcs[i];
			int took = (int) Math.min(left, src.remaining());
			src.position(src.position() + took);
			left -= took;
		}
		return n;
	}

	/**
	 * Points the scratch {@code iovec}s at the buffers: one per direct buffer, or, if any is on the heap, one
	 * for a native copy of them all.
	 *
	 * @return how many {@code iovec}s to send
	 */
	private static int gather(Scratch s, ByteBuffer[] srcs, int count) {
		boolean allDirect = true;
		long total = 0;
		for (int i = 0; i < count; i++) {
			allDirect &= srcs[i].isDirect();
			total += srcs[i].remaining();
		}
		if (allDirect) {
			for (int i = 0; i < count; i++) {
				s.iovec.set(ADDRESS, Posix.IOVEC_SIZE * i, MemorySegment.ofBuffer(srcs[i]));
				s.iovec.set(JAVA_LONG, Posix.IOVEC_SIZE * i + 8, srcs[i].remaining());
			}
			return count;
		}
		MemorySegment bounce = s.bounce(total);
		long at = 0;
		for (int i = 0; i < count; i++) {
			ByteBuffer src = srcs[i];
			MemorySegment.copy(MemorySegment.ofBuffer(src), 0, bounce, at, src.remaining());
			at += src.remaining();
		}
		s.iovec.set(ADDRESS, 0, bounce);
		s.iovec.set(JAVA_LONG, 8, total);
		return 1;
	}

	/** After a failed {@code recvmsg}/{@code sendmsg}: {@code EAGAIN} (nothing now) returns, anything else throws. */
	private static void failUnlessNotReady(String call, Scratch s) throws IOException {
		int errno = Posix.errno(s.state);
		if (errno != Posix.EAGAIN) {
			throw Posix.failure(call, errno);
		}
	}

	@Override
	public PeerCredentials peerCredentials() {
		return this.credentials;
	}

	@Override
	public void close() {
		this.lifetime.close(this::shutdownInput);
	}

	@Override
	public java.util.concurrent.CompletableFuture<Void> released() {
		return this.lifetime.released();
	}

	/** Once no call is in progress after {@link #close()}: the number and the descriptors nobody took. */
	private void release() {
		closeReceived();
		if (this.adoptedFrom != null) {
			Fds.closeQuietly(this.adoptedFrom);
		}
		else {
			FfmSocketLayer.closeFd(this.fd);
		}
	}

	private void closeReceived() {
		for (int i = 0; i < this.receivedCount; i++) {
			FfmSocketLayer.closeFd(this.received[i]);
		}
		this.receivedCount = 0;
	}

	/** {@code SO_PEERCRED} and, where the kernel has it (4.13+), {@code SO_PEERGROUPS}. */
	static PeerCredentials peerCredentials(int fd) throws IOException {
		Scratch s = Scratch.get();
		MemorySegment len = s.small.asSlice(0, 4);
		MemorySegment cred = s.small.asSlice(8, 12);
		len.set(JAVA_INT, 0, 12);
		int rc;
		try {
			rc = (int) Posix.GETSOCKOPT.invokeExact(s.state, fd, Posix.SOL_SOCKET, Posix.SO_PEERCRED, cred, len);
		}
		catch (Throwable ex) {
			throw new IOException("getsockopt failed: " + ex, ex);
		}
		if (rc != 0) {
			throw Posix.failure("getsockopt(SO_PEERCRED)", Posix.errno(s.state));
		}
		long pid = cred.get(JAVA_INT, 0);
		long uid = Integer.toUnsignedLong(cred.get(JAVA_INT, 4));
		long gid = Integer.toUnsignedLong(cred.get(JAVA_INT, 8));
		List<Long> groups = new ArrayList<>();
		groups.add(gid);
		for (long g : supplementaryGroups(fd)) {
			if (g != gid) {
				groups.add(g);
			}
		}
		return new PeerCredentials(pid, uid, gid, groups);
	}

	private static long[] supplementaryGroups(int fd) {
		try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment len = arena.allocate(JAVA_INT);
			int size = 64;
			for (int attempt = 0; attempt < 2; attempt++) {
				MemorySegment gids = arena.allocate(4L * size, 4);
				len.set(JAVA_INT, 0, 4 * size);
				int rc = (int) Posix.GETSOCKOPT.invokeExact(state, fd, Posix.SOL_SOCKET, Posix.SO_PEERGROUPS, gids, len);
				if (rc == 0) {
					int count = len.get(JAVA_INT, 0) / 4;
					long[] out = new long[count];
					for (int i = 0; i < count; i++) {
						out[i] = Integer.toUnsignedLong(gids.getAtIndex(JAVA_INT, i));
					}
					return out;
				}
				if (Posix.errno(state) != Posix.ERANGE) {
					return new long[0]; // no SO_PEERGROUPS (kernel < 4.13): the primary gid alone
				}
				size = Math.max(size * 2, len.get(JAVA_INT, 0) / 4);
			}
		}
		catch (Throwable ex) {
			// leave the groups to the primary gid
		}
		return new long[0];
	}
}
