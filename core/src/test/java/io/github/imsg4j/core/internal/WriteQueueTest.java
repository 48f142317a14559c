package io.github.imsg4j.core.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link WriteQueue} hands to the socket: gathering writes across segments, the descriptor rule, partial
 * writes, and a discard while a write is in flight. The "socket" here is a byte array that takes as much as the
 * test says, as {@code sendmsg} may.
 */
@ExtendWith(OpenFds.class)
class WriteQueueTest {

	private static final WireFormat WIRE = WireFormat.CURRENT;

	private final WriteQueue queue = new WriteQueue();

	private final WriteQueue.Write write = new WriteQueue.Write();

	private final ByteArrayOutputStream sent = new ByteArrayOutputStream();

	@Test
	void oneWriteGathersUpToFourSegmentsAndPartialWritesResumeMidSegment() {
		ByteArrayOutputStream expected = new ByteArrayOutputStream();
		for (int i = 0; i < 1000; i++) {
			expected.writeBytes(append(i, 300, null)); // 316 KB: five segments
		}
		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.count()).isEqualTo(WriteQueue.MAX_GATHER);
		assertThat(pending()).isEqualTo(4L * SegmentPool.SEGMENT_SIZE);
		this.queue.completeWrite(this.write, take(100_000));

		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.buffers()[0].position()).isEqualTo(100_000 - SegmentPool.SEGMENT_SIZE);
		assertThat(this.write.count()).isEqualTo(4);
		this.queue.completeWrite(this.write, take(7_777));
		drain(7_777);
		assertThat(this.sent.toByteArray()).isEqualTo(expected.toByteArray());
		assertThat(this.queue.isEmpty()).isTrue();
		assertThat(this.queue.queuedMessages()).isZero();
	}

	@Test
	void aWriteStartsAtADescriptorsMessageAndStopsBeforeTheNextOne() {
		int base = OpenFds.count();
		append(1, 10, null);
		append(2, 70_000, devNull()); // spans two segments
		append(3, 10, null);
		append(4, 10, devNull());
		assertThat(OpenFds.count()).isEqualTo(base + 2);

		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.fd()).isNull();
		assertThat(pending()).isEqualTo(26);
		this.queue.completeWrite(this.write, take(Long.MAX_VALUE));

		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.fd()).isNotNull();
		assertThat(this.write.count()).isEqualTo(2);
		assertThat(pending()).isEqualTo(70_016 + 26);
		this.queue.completeWrite(this.write, take(1)); // one byte carries the descriptor: released
		assertThat(OpenFds.count()).isEqualTo(base + 1);

		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.fd()).isNull();
		assertThat(pending()).isEqualTo(70_016 + 26 - 1);
		this.queue.completeWrite(this.write, take(Long.MAX_VALUE));

		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.fd()).isNotNull();
		assertThat(pending()).isEqualTo(26);
		this.queue.completeWrite(this.write, take(Long.MAX_VALUE));
		assertThat(this.queue.nextWrite(this.write)).isFalse();
		assertThat(OpenFds.count()).isEqualTo(base);
		assertThat(this.sent.size()).isEqualTo(26 + 70_016 + 26 + 26);
	}

	@Test
	void aWriteThatSendsNothingKeepsItsDescriptorForTheNextTry() {
		int base = OpenFds.count();
		append(1, 10, devNull());
		assertThat(this.queue.nextWrite(this.write)).isTrue();
		this.queue.completeWrite(this.write, 0);
		assertThat(OpenFds.count()).isEqualTo(base + 1);
		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.fd()).isNotNull();
		this.queue.completeWrite(this.write, take(Long.MAX_VALUE));
		assertThat(OpenFds.count()).isEqualTo(base);
	}

	@Test
	void aDiscardDuringAGatheredWriteReleasesItsSegmentsAndDescriptorOnCompletion() {
		int base = OpenFds.count();
		append(1, 200_000, devNull());
		append(2, 10, devNull());
		assertThat(this.queue.nextWrite(this.write)).isTrue();
		assertThat(this.write.count()).isEqualTo(4);
		this.queue.discard();
		// the write in flight still reads its segments and sends its descriptor: only the other one is closed
		assertThat(OpenFds.count()).isEqualTo(base + 1);
		assertThat(this.queue.isEmpty()).isTrue();
		this.queue.completeWrite(this.write, take(50_000));
		assertThat(OpenFds.count()).isEqualTo(base);
		assertThat(this.queue.nextWrite(this.write)).isFalse();
	}

	/** A descriptor as {@code OutboundFd.openReadOnly} makes it on the layer in use (a number on FFM). */
	private static OutgoingFd devNull() {
		try {
			return SocketLayer.get().openReadOnly(Path.of("/dev/null"));
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	/** Appends one message of {@code size} payload bytes, each its index's low byte; returns its wire bytes. */
	private byte[] append(int type, int size, OutgoingFd fd) {
		byte[] payload = new byte[size];
		for (int i = 0; i < size; i++) {
			payload[i] = (byte) (type + i);
		}
		int len = WireFormat.HEADER_SIZE + size;
		this.queue.append(WIRE, type, len, 0, 0, fd, ByteBuffer.wrap(payload));
		ByteBuffer wire = ByteBuffer.allocate(len).order(java.nio.ByteOrder.nativeOrder());
		WIRE.putHeader(wire, 0, type, len, fd != null, 0, 0);
		wire.put(WireFormat.HEADER_SIZE, payload);
		return wire.array();
	}

	private long pending() {
		long n = 0;
		for (int i = 0; i < this.write.count(); i++) {
			n += this.write.buffers()[i].remaining();
		}
		return n;
	}

	/** What the socket does with the planned write: takes up to {@code max} bytes in order. */
	private long take(long max) {
		long left = max;
		long took = 0;
		for (int i = 0; i < this.write.count() && left > 0; i++) {
			ByteBuffer b = this.write.buffers()[i];
			int n = (int) Math.min(left, b.remaining());
			byte[] out = new byte[n];
			b.get(out);
			this.sent.writeBytes(out);
			left -= n;
			took += n;
		}
		return took;
	}

	private void drain(long perWrite) {
		while (this.queue.nextWrite(this.write)) {
			this.queue.completeWrite(this.write, take(perWrite));
		}
	}
}
