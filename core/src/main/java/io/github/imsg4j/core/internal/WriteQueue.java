package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
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
 * <p>Not thread-safe: the owning channel guards it with its lock.
 */
public final class WriteQueue {

	/** Segments in order; each holds bytes [0, position), the head one read from {@link #headRead}. */
	private final ArrayDeque<ByteBuffer> segments = new ArrayDeque<>();

	/** Where each queued message ends, as stream offsets, to count messages still queued. */
	private final LongRing messageEnds = new LongRing();

	/** Descriptors still to send, each with the stream offset of its message's first byte. */
	private final ArrayDeque<PendingFd> fds = new ArrayDeque<>();

	/** Scratch for a header that straddles two segments. */
	private final ByteBuffer headerScratch = ByteBuffer.allocate(WireFormat.HEADER_SIZE)
		.order(java.nio.ByteOrder.nativeOrder());

	private int headRead;

	/** Stream offset of the next byte to write. */
	private long written;

	/** Stream offset of the next byte to append. */
	private long appended;

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
	 * Appends one message: header, then payload parts in order.
	 */
	public void append(WireFormat wire, int type, int len, int peerid, int pid, @Nullable OutboundFd fd,
			ByteBuffer[] parts) {
		long start = this.appended;
		ByteBuffer tail = tailWithRoom();
		if (tail.remaining() >= WireFormat.HEADER_SIZE) {
			wire.putHeader(tail, tail.position(), type, len, fd != null, peerid, pid);
			tail.position(tail.position() + WireFormat.HEADER_SIZE);
			this.appended += WireFormat.HEADER_SIZE;
		}
		else {
			this.headerScratch.clear();
			wire.putHeader(this.headerScratch, 0, type, len, fd != null, peerid, pid);
			put(this.headerScratch);
		}
		for (ByteBuffer part : parts) {
			put(part.duplicate());
		}
		this.messageEnds.add(this.appended);
		if (fd != null) {
			this.fds.addLast(new PendingFd(start, fd));
		}
	}

	private void put(ByteBuffer src) {
		while (src.hasRemaining()) {
			ByteBuffer tail = tailWithRoom();
			int n = Math.min(tail.remaining(), src.remaining());
			int limit = src.limit();
			src.limit(src.position() + n);
			tail.put(src);
			src.limit(limit);
			this.appended += n;
		}
	}

	private ByteBuffer tailWithRoom() {
		ByteBuffer tail = this.segments.peekLast();
		if (tail == null || !tail.hasRemaining()) {
			tail = SegmentPool.take();
			this.segments.addLast(tail);
		}
		return tail;
	}

	/**
	 * One write from the head of the queue.
	 *
	 * @return bytes written; 0 when the socket took nothing (or nothing is queued)
	 */
	public int writeOnce(Transport transport) throws IOException {
		ByteBuffer head = this.segments.peekFirst();
		if (head == null) {
			return 0;
		}
		int end = head.position();
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
		head.limit(writeEnd).position(this.headRead);
		int n;
		try {
			n = transport.write(head, (attach != null) ? attach.fd() : null);
		}
		finally {
			head.limit(head.capacity()).position(end);
		}
		if (n <= 0) {
			return 0;
		}
		if (attach != null) {
			this.fds.removeFirst();
			FdRelease.release(attach);
		}
		this.headRead += n;
		this.written += n;
		if (this.headRead == end && (head.position() == head.capacity() || this.segments.size() > 1
				|| this.written == this.appended)) {
			this.segments.removeFirst();
			SegmentPool.recycle(head);
			this.headRead = 0;
		}
		while (!this.messageEnds.isEmpty() && this.messageEnds.first() <= this.written) {
			this.messageEnds.removeFirst();
		}
		return n;
	}

	/** Drops everything still queued, releasing descriptors the channel owns. */
	public void discard() {
		for (PendingFd pending : this.fds) {
			FdRelease.release(pending.fd());
		}
		this.fds.clear();
		for (ByteBuffer segment : this.segments) {
			SegmentPool.recycle(segment);
		}
		this.segments.clear();
		this.messageEnds.clear();
		this.headRead = 0;
		this.written = this.appended;
	}
}
