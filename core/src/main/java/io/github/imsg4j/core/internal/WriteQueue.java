package io.github.imsg4j.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Iterator;

import io.github.imsg4j.core.OutboundFd;
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

	/** One write, filled by {@link #nextWrite}: the bytes to send and the descriptor to send with them. */
	public static final class Write {

		private @Nullable Segment segment;

		private @Nullable OutboundFd fd;

		/**
		 * @return the bytes to write, between position and limit; a view of its own, not shared with appends
		 */
		public ByteBuffer bytes() {
			Segment s = this.segment;
			if (s == null) {
				throw new IllegalStateException("no write planned");
			}
			return s.out;
		}

		/**
		 * @return the descriptor to send with this write's first byte, or {@code null}
		 */
		public java.io.@Nullable FileDescriptor fd() {
			OutboundFd f = this.fd;
			return (f != null) ? f.fd() : null;
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

	private record PendingFd(long offset, OutboundFd fd) {
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
	public void append(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutboundFd fd,
			ByteBuffer[] parts) {
		long start = appendHeader(wire, type, len, peerid, pid, fd);
		for (ByteBuffer part : parts) {
			put(part, part.position(), part.limit());
		}
		endMessage(start, fd);
	}

	/** {@link #append} of a message with one payload part, without an array to hold it. */
	public void append(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutboundFd fd,
			ByteBuffer payload) {
		long start = appendHeader(wire, type, len, peerid, pid, fd);
		put(payload, payload.position(), payload.limit());
		endMessage(start, fd);
	}

	private long appendHeader(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutboundFd fd) {
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

	private void endMessage(long start, @Nullable OutboundFd fd) {
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
	 * the descriptor rule.
	 *
	 * @param write filled in with the bytes and the descriptor
	 * @return {@code false} when nothing is queued or another write is still in flight
	 */
	public boolean nextWrite(Write write) {
		Segment head = this.segments.peekFirst();
		if (head == null || this.inFlight != null || this.written == this.appended) {
			return false;
		}
		int end = head.data.position();
		long chunkEnd = this.written + (end - this.headRead);
		OutboundFd attach = null;
		Iterator<PendingFd> it = this.fds.iterator();
		if (it.hasNext()) {
			PendingFd first = it.next();
			if (first.offset() == this.written) {
				attach = first.fd();
				// stop before the next message that carries a descriptor
				if (it.hasNext()) {
					chunkEnd = Math.min(chunkEnd, it.next().offset());
				}
			}
			else {
				chunkEnd = Math.min(chunkEnd, first.offset());
			}
		}
		int writeEnd = this.headRead + (int) (chunkEnd - this.written);
		head.out.limit(writeEnd).position(this.headRead);
		write.segment = head;
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
	public void completeWrite(Write write, int n) {
		if (this.inFlight != write) {
			throw new IllegalStateException("not the write in flight");
		}
		this.inFlight = null;
		Segment segment = write.segment;
		OutboundFd attached = write.fd;
		write.segment = null;
		write.fd = null;
		if (this.discardedInFlight) {
			// the queue was discarded meanwhile and left these two to us
			this.discardedInFlight = false;
			if (attached != null) {
				FdRelease.release(attached);
			}
			SegmentPool.recycle(segment);
			return;
		}
		if (n <= 0) {
			return;
		}
		if (attached != null) {
			this.fds.removeFirst();
			FdRelease.release(attached);
		}
		this.headRead += n;
		this.written += n;
		ByteBuffer data = segment.data;
		if (this.headRead == data.position()
				&& (!data.hasRemaining() || this.segments.size() > 1 || this.written == this.appended)) {
			this.segments.removeFirst();
			SegmentPool.recycle(segment);
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
				FdRelease.release(pending.fd());
			}
		}
		this.fds.clear();
		for (Segment segment : this.segments) {
			if (busy == null || segment != busy.segment) {
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
