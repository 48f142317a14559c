package io.github.imsg4j.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Iterator;

import io.github.imsg4j.core.WireFormat;
import org.jspecify.annotations.Nullable;

/**
 * The outgoing bytes of one channel: messages composed straight into pooled direct segments, written in
 * batches, many messages per {@code sendmsg}, the way {@code msgbuf_write} gathers them with {@code writev}.
 *
 * <p>File descriptors follow imsg's rule: a write that carries a descriptor starts with the first byte of
 * that descriptor's message, and a write never runs into the next message that carries one. A descriptor
 * counts as sent once a write carrying it has sent at least one byte (as in {@code msgbuf_write}), and is
 * then released: closed, unless the caller asked to keep it.
 *
 * <p>A write has three steps so that the socket call runs without the channel's lock, and senders keep
 * appending meanwhile: {@link #nextWrite} picks the bytes (under the lock), the caller writes them (without
 * it), and {@link #completeWrite} accounts for what the socket took (under the lock again). Only one write is
 * in flight at a time; appends only ever touch bytes past the ones it sends.
 *
 * <p>Not thread-safe otherwise: the owning channel guards it with its lock.
 */
public final class WriteQueue {

	/**
	 * Most segments one write gathers: 4 x 64 KiB, about what an {@code AF_UNIX} socket's send buffer takes at
	 * once (net.core.wmem_default is 208 KiB), so one {@code sendmsg} can fill it.
	 */
	public static final int MAX_GATHER = 4;

	/**
	 * One write, filled by {@link #nextWrite}: the bytes to send, in up to {@link #MAX_GATHER} buffers to be
	 * written with one gathering {@code sendmsg}, and the descriptor to send with the first byte.
	 */
	public static final class Write {

		private final Segment[] segments = new Segment[MAX_GATHER];

		private final ByteBuffer[] buffers = new ByteBuffer[MAX_GATHER];

		private int count;

		private @Nullable OutgoingFd fd;

		/**
		 * @return the buffers to write in order, each between its position and limit; views of their own, not
		 *         shared with appends. Only the first {@link #count()} are part of this write.
		 */
		public ByteBuffer[] buffers() {
			if (this.count == 0) {
				throw new IllegalStateException("no write planned");
			}
			return this.buffers;
		}

		/**
		 * @return how many of {@link #buffers()} this write has (1 to {@link #MAX_GATHER})
		 */
		public int count() {
			return this.count;
		}

		/**
		 * @return the descriptor to send with this write's first byte, or {@code null}
		 */
		public @Nullable OutgoingFd fd() {
			return this.fd;
		}

		private boolean holds(Segment segment) {
			for (int i = 0; i < this.count; i++) {
				if (this.segments[i] == segment) {
					return true;
				}
			}
			return false;
		}

		private void clear() {
			for (int i = 0; i < this.count; i++) {
				this.segments[i] = null;
				this.buffers[i] = null;
			}
			this.count = 0;
			this.fd = null;
		}
	}

	/** Segments in order; each holds bytes [0, data.position()), the head one read from {@link #headRead}. */
	private final ArrayDeque<Segment> segments = new ArrayDeque<>(2);

	/** Where each queued message ends, as stream offsets, to count messages still queued. */
	private final LongRing messageEnds = new LongRing();

	/** Descriptors still to send, each with the stream offset of its message's first byte. */
	private final ArrayDeque<PendingFd> fds = new ArrayDeque<>(1);

	/** Scratch for a header that straddles two segments; made when first needed (most connections never do). */
	private @Nullable ByteBuffer headerScratch;

	private int headRead;

	/** Stream offset of the next byte to write. */
	private long written;

	/** Stream offset of the next byte to append. */
	private long appended;

	/** The write handed out by {@link #nextWrite} and not completed yet, or {@code null}. */
	private @Nullable Write inFlight;

	/** {@link #discard} ran while a write was in flight: its segment and descriptor are released on completion. */
	private boolean discardedInFlight;

	private record PendingFd(long offset, OutgoingFd fd) {
	}

	public long queuedBytes() {
		return this.appended - this.written;
	}

	public int queuedMessages() {
		return this.messageEnds.size();
	}

	/**
	 * @return descriptors queued and not yet sent (each holds an open file until then)
	 */
	public int queuedFds() {
		return this.fds.size();
	}

	public boolean isEmpty() {
		return this.appended == this.written;
	}

	/**
	 * Appends one message: header, then payload parts in order; the parts are only read, never moved.
	 */
	public void append(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutgoingFd fd,
			ByteBuffer[] parts) {
		long start = appendHeader(wire, type, len, peerid, pid, fd);
		for (ByteBuffer part : parts) {
			put(part, part.position(), part.limit());
		}
		endMessage(start, fd);
	}

	/** {@link #append} of a message with one payload part, without an array to hold it. */
	public void append(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutgoingFd fd,
			ByteBuffer payload) {
		long start = appendHeader(wire, type, len, peerid, pid, fd);
		put(payload, payload.position(), payload.limit());
		endMessage(start, fd);
	}

	private long appendHeader(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutgoingFd fd) {
		long start = this.appended;
		ByteBuffer tail = tailWithRoom();
		if (tail.remaining() >= WireFormat.HEADER_SIZE) {
			wire.putHeader(tail, tail.position(), type, len, fd != null, peerid, pid);
			tail.position(tail.position() + WireFormat.HEADER_SIZE);
			this.appended += WireFormat.HEADER_SIZE;
		}
		else {
			ByteBuffer scratch = this.headerScratch;
			if (scratch == null) {
				scratch = ByteBuffer.allocate(WireFormat.HEADER_SIZE).order(ByteOrder.nativeOrder());
				this.headerScratch = scratch;
			}
			wire.putHeader(scratch, 0, type, len, fd != null, peerid, pid);
			put(scratch, 0, WireFormat.HEADER_SIZE);
		}
		return start;
	}

	private void endMessage(long start, @Nullable OutgoingFd fd) {
		this.messageEnds.add(this.appended);
		if (fd != null) {
			this.fds.addLast(new PendingFd(start, fd));
		}
	}

	/**
	 * Copies {@code src}'s bytes [from, to) with absolute gets, so that a buffer several threads send at once is
	 * never touched.
	 */
	private void put(ByteBuffer src, int from, int to) {
		int at = from;
		while (at < to) {
			ByteBuffer tail = tailWithRoom();
			int n = Math.min(tail.remaining(), to - at);
			tail.put(tail.position(), src, at, n);
			tail.position(tail.position() + n);
			at += n;
			this.appended += n;
		}
	}

	private ByteBuffer tailWithRoom() {
		Segment tail = this.segments.peekLast();
		if (tail == null || !tail.data.hasRemaining()) {
			tail = SegmentPool.take();
			this.segments.addLast(tail);
		}
		return tail.data;
	}

	/**
	 * Picks the next write from the head of the queue: as many bytes as one {@code sendmsg} may carry under
	 * the descriptor rule, gathered from up to {@link #MAX_GATHER} segments.
	 *
	 * @param write filled in with the bytes and the descriptor
	 * @return {@code false} when nothing is queued or another write is still in flight
	 */
	public boolean nextWrite(Write write) {
		if (this.inFlight != null || this.written == this.appended) {
			return false;
		}
		long end = this.appended;
		OutgoingFd attach = null;
		Iterator<PendingFd> it = this.fds.iterator();
		if (it.hasNext()) {
			PendingFd first = it.next();
			if (first.offset() == this.written) {
				attach = first.fd();
				// stop before the next message that carries a descriptor
				if (it.hasNext()) {
					end = it.next().offset();
				}
			}
			else {
				end = first.offset();
			}
		}
		long at = this.written;
		int from = this.headRead;
		int count = 0;
		// every segment but the tail is full, so segment boundaries follow from the head's read offset
		for (Segment segment : this.segments) {
			if (at == end || count == MAX_GATHER) {
				break;
			}
			int to = (int) Math.min(segment.data.position(), from + (end - at));
			segment.out.limit(to).position(from);
			write.segments[count] = segment;
			write.buffers[count] = segment.out;
			count++;
			at += to - from;
			from = 0;
		}
		write.count = count;
		write.fd = attach;
		this.inFlight = write;
		return true;
	}

	/**
	 * Accounts for a write picked by {@link #nextWrite}: releases its descriptor if any byte went, and
	 * recycles segments written out.
	 *
	 * @param write the write
	 * @param n bytes the socket took; 0 (or less, for a failed write) when it took none
	 */
	public void completeWrite(Write write, long n) {
		if (this.inFlight != write) {
			throw new IllegalStateException("not the write in flight");
		}
		this.inFlight = null;
		OutgoingFd attached = write.fd;
		if (this.discardedInFlight) {
			// the queue was discarded meanwhile and left these to us
			this.discardedInFlight = false;
			if (attached != null) {
				attached.release();
			}
			for (int i = 0; i < write.count; i++) {
				SegmentPool.recycle(write.segments[i]);
			}
			write.clear();
			return;
		}
		write.clear();
		if (n <= 0) {
			return;
		}
		if (attached != null) {
			this.fds.removeFirst();
			attached.release();
		}
		long left = n;
		while (left > 0) {
			Segment head = this.segments.getFirst();
			ByteBuffer data = head.data;
			int took = (int) Math.min(left, data.position() - this.headRead);
			this.headRead += took;
			this.written += took;
			left -= took;
			if (this.headRead < data.position()
					|| (data.hasRemaining() && this.segments.size() == 1 && this.written != this.appended)) {
				break;
			}
			this.segments.removeFirst();
			SegmentPool.recycle(head);
			this.headRead = 0;
		}
		while (!this.messageEnds.isEmpty() && this.messageEnds.first() <= this.written) {
			this.messageEnds.removeFirst();
		}
	}

	/**
	 * Drops everything still queued, releasing descriptors the channel owns. A write in flight keeps its segment
	 * and descriptor until {@link #completeWrite}, so that the socket call never reads a recycled buffer or a
	 * closed descriptor.
	 */
	public void discard() {
		Write busy = this.inFlight;
		for (PendingFd pending : this.fds) {
			if (busy == null || pending.fd() != busy.fd) {
				pending.fd().release();
			}
		}
		this.fds.clear();
		for (Segment segment : this.segments) {
			if (busy == null || !busy.holds(segment)) {
				SegmentPool.recycle(segment);
			}
		}
		this.discardedInFlight = busy != null;
		this.segments.clear();
		this.messageEnds.clear();
		this.headRead = 0;
		this.written = this.appended;
	}
}
