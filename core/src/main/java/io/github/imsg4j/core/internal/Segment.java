package io.github.imsg4j.core.internal;

import java.nio.ByteBuffer;

/**
 * One pooled direct buffer of a {@link WriteQueue}, with two views of the same memory: {@link #data}, whose
 * position is where senders append, and {@link #out}, whose position and limit frame the bytes being written.
 * Two views, so that a write running without the channel's lock never sees an append move its bounds.
 */
final class Segment {

	final ByteBuffer data;

	final ByteBuffer out;

	Segment(ByteBuffer data) {
		this.data = data;
		this.out = data.duplicate();
	}
}
