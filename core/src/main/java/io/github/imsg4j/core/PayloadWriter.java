package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a payload as OpenBSD's {@code ibuf_add_*} functions do: numbers in network order ({@code n8..n64}) or
 * host order ({@code h16..h64}), raw bytes, zero padding and strings, growing up to a fixed limit ({@code
 * ibuf_dynamic}'s {@code max}): going past it is an error, as {@code ERANGE} is in C.
 *
 * @param <W> the concrete writer, so that calls chain
 */
public abstract class PayloadWriter<W extends PayloadWriter<W>> {

	private static final boolean NATIVE_IS_BIG = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

	private final int limit;

	private ByteBuffer buf;

	/**
	 * @param initialCapacity bytes to reserve at first
	 * @param limit the most bytes the payload may hold
	 */
	protected PayloadWriter(int initialCapacity, int limit) {
		if (limit < 0) {
			throw new IllegalArgumentException("limit must not be negative, got " + limit);
		}
		this.limit = limit;
		this.buf = ByteBuffer.allocate(Math.min(Math.max(initialCapacity, 0), limit)).order(ByteOrder.nativeOrder());
	}

	/**
	 * A stand-alone writer with the given limit.
	 *
	 * @param limit the most bytes the payload may hold
	 * @return a new writer
	 */
	public static Plain create(int limit) {
		return new Plain(Math.min(limit, 256), limit);
	}

	@SuppressWarnings("unchecked")
	private W self() {
		return (W) this;
	}

	private void reserve(int n) {
		int need = this.buf.position() + n;
		if (n < 0 || need > this.limit || need < 0) {
			throw new ImsgSizeException(tooLarge(this.buf.position() + (long) n, this.limit));
		}
		if (need > this.buf.capacity()) {
			int grown = (int) Math.min(this.limit, Math.max(need, this.buf.capacity() * 2L));
			ByteBuffer bigger = ByteBuffer.allocate(grown).order(ByteOrder.nativeOrder());
			this.buf.flip();
			bigger.put(this.buf);
			this.buf = bigger;
		}
	}

	/**
	 * The error text when a payload would grow past its limit.
	 *
	 * @param size the size it would reach
	 * @param limit its limit
	 * @return a message naming both
	 */
	String tooLarge(long size, int limit) {
		return "payload of " + size + " bytes exceeds its limit of " + limit + " bytes";
	}

	/**
	 * The number of bytes written so far ({@code ibuf_size}).
	 *
	 * @return the payload size
	 */
	public int size() {
		return this.buf.position();
	}

	/**
	 * @param v the byte to add ({@code ibuf_add_n8}); only the low 8 bits are used
	 * @return this writer
	 */
	public W addN8(int v) {
		reserve(1);
		this.buf.put((byte) v);
		return self();
	}

	/**
	 * @param v the value to add in network byte order ({@code ibuf_add_n16}); only the low 16 bits are used
	 * @return this writer
	 */
	public W addN16(int v) {
		reserve(2);
		this.buf.putShort(NATIVE_IS_BIG ? (short) v : Short.reverseBytes((short) v));
		return self();
	}

	/**
	 * @param v the value to add in network byte order ({@code ibuf_add_n32})
	 * @return this writer
	 */
	public W addN32(int v) {
		reserve(4);
		this.buf.putInt(NATIVE_IS_BIG ? v : Integer.reverseBytes(v));
		return self();
	}

	/**
	 * @param v the value to add in network byte order ({@code ibuf_add_n64})
	 * @return this writer
	 */
	public W addN64(long v) {
		reserve(8);
		this.buf.putLong(NATIVE_IS_BIG ? v : Long.reverseBytes(v));
		return self();
	}

	/**
	 * @param v the value to add in host byte order ({@code ibuf_add_h16}); only the low 16 bits are used
	 * @return this writer
	 */
	public W addH16(int v) {
		reserve(2);
		this.buf.putShort((short) v);
		return self();
	}

	/**
	 * @param v the value to add in host byte order ({@code ibuf_add_h32}), e.g. a C {@code int}
	 * @return this writer
	 */
	public W addH32(int v) {
		reserve(4);
		this.buf.putInt(v);
		return self();
	}

	/**
	 * @param v the value to add in host byte order ({@code ibuf_add_h64})
	 * @return this writer
	 */
	public W addH64(long v) {
		reserve(8);
		this.buf.putLong(v);
		return self();
	}

	/**
	 * @param bytes bytes to add ({@code ibuf_add})
	 * @return this writer
	 */
	public W add(byte[] bytes) {
		reserve(bytes.length);
		this.buf.put(bytes);
		return self();
	}

	/**
	 * @param bytes the remaining bytes of this buffer are added; its position is left alone
	 * @return this writer
	 */
	public W add(ByteBuffer bytes) {
		reserve(bytes.remaining());
		this.buf.put(bytes.duplicate());
		return self();
	}

	/**
	 * @param n how many zero bytes to add ({@code ibuf_add_zero})
	 * @return this writer
	 */
	public W addZero(int n) {
		reserve(n);
		this.buf.put(new byte[n]);
		return self();
	}

	/**
	 * Adds a string and its terminating NUL.
	 *
	 * @param s the string, encoded as UTF-8; it must not contain NUL
	 * @return this writer
	 */
	public W addCString(String s) {
		byte[] bytes = encode(s);
		reserve(bytes.length + 1);
		this.buf.put(bytes).put((byte) 0);
		return self();
	}

	/**
	 * Adds a string as a fixed-size, NUL-padded character array ({@code ibuf_add_strbuf}): the string and at
	 * least one NUL must fit in {@code len} bytes.
	 *
	 * @param s the string, encoded as UTF-8
	 * @param len the array size
	 * @return this writer
	 * @throws ImsgSizeException when the string does not fit with its NUL
	 */
	public W addStrbuf(String s, int len) {
		byte[] bytes = encode(s);
		if (bytes.length >= len) {
			throw new ImsgSizeException("string of " + bytes.length + " bytes does not fit a " + len
					+ "-byte buffer with its NUL");
		}
		reserve(len);
		this.buf.put(bytes).put(new byte[len - bytes.length]);
		return self();
	}

	private static byte[] encode(String s) {
		byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
		for (byte b : bytes) {
			if (b == 0) {
				throw new IllegalArgumentException("string contains a NUL byte");
			}
		}
		return bytes;
	}

	/**
	 * A view of the bytes written so far; valid until the next write.
	 *
	 * @return a read-only buffer over the payload
	 */
	public ByteBuffer buffer() {
		return this.buf.asReadOnlyBuffer().flip().order(ByteOrder.nativeOrder());
	}

	/**
	 * A copy of the bytes written so far.
	 *
	 * @return the payload
	 */
	public byte[] toByteArray() {
		return Arrays.copyOf(this.buf.array(), this.buf.position());
	}

	/** A payload writer on its own, not tied to a channel. */
	public static final class Plain extends PayloadWriter<Plain> {

		Plain(int initialCapacity, int limit) {
			super(initialCapacity, limit);
		}
	}
}
