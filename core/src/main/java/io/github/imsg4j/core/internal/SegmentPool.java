package io.github.imsg4j.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * Direct buffers shared by every write queue of the process, so that an idle connection holds none and a
 * busy one allocates none in steady state. The pool keeps at most {@link #MAX_POOLED} free segments; any
 * beyond that are left to the garbage collector.
 */
final class SegmentPool {

	/** Size of one segment: the most one {@code sendmsg} writes on junixsocket, which cannot gather buffers. */
	static final int SEGMENT_SIZE = 64 * 1024;

	static final int MAX_POOLED = 64;

	private static final ArrayDeque<Segment> FREE = new ArrayDeque<>();

	private SegmentPool() {
	}

	static Segment take() {
		Segment segment;
		synchronized (FREE) {
			segment = FREE.pollFirst();
		}
		if (segment == null) {
			segment = new Segment(ByteBuffer.allocateDirect(SEGMENT_SIZE).order(ByteOrder.nativeOrder()));
		}
		return segment;
	}

	static void recycle(Segment segment) {
		segment.data.clear();
		synchronized (FREE) {
			if (FREE.size() < MAX_POOLED) {
				FREE.addFirst(segment);
			}
		}
	}
}
