package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a payload as OpenBSD's {@code ibuf_get_*} functions do: numbers in network order ({@code n8..n64}) or
 * host order ({@code h16..h64}), raw bytes, fixed-size sub-slices for C structs, and NUL-terminated strings
 * with a bound. Every read checks that enough bytes are left and advances the read position; nothing is
 * copied unless a method returns a {@code byte[]} or {@code String}.
 *
 * <p>A reader is a cursor over a view of the payload; it is not thread-safe. Unsigned C values are returned
 * in the next wider Java type where one exists ({@code n8}, {@code n16} as {@code int}); 32- and 64-bit
 * values keep their bits in {@code int} and {@code long} ({@link Integer#toUnsignedLong} gives the value).
 */
public final class PayloadReader {

	private static final boolean NATIVE_IS_BIG = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

	/** The payload bytes in native order, read with absolute gets only. */
	private final ByteBuffer buf;

	private final int start;

	private final int limit;

	private int pos;

	private PayloadReader(ByteBuffer buf, int start, int limit) {
		this.buf = buf;
		this.start = start;
		this.limit = limit;
		this.pos = start;
	}

	/**
	 * A reader over the remaining bytes of a buffer (its position and limit are left alone).
	 *
	 * @param payload the bytes to read
	 * @return a reader positioned at the first byte
	 */
	public static PayloadReader of(ByteBuffer payload) {
		ByteBuffer view = payload.slice().order(ByteOrder.nativeOrder());
		return new PayloadReader(view, 0, view.limit());
	}

	/**
	 * A reader over a byte array.
	 *
	 * @param payload the bytes to read
	 * @return a reader positioned at the first byte
	 */
	public static PayloadReader of(byte[] payload) {
		return of(ByteBuffer.wrap(payload));
	}

	/**
	 * Bytes not yet read ({@code ibuf_size}).
	 *
	 * @return the number of unread bytes
	 */
	public int remaining() {
		return this.limit - this.pos;
	}

	/**
	 * Whether any byte is left.
	 *
	 * @return {@code true} if {@link #remaining()} is positive
	 */
	public boolean hasRemaining() {
		return this.pos < this.limit;
	}

	/**
	 * How far reading has got, from the start of this reader.
	 *
	 * @return the offset of the next byte to read
	 */
	public int offset() {
		return this.pos - this.start;
	}

	/**
	 * Checks that exactly {@code len} bytes are left, as {@code imsg_get_data} does before copying a fixed
	 * structure: a payload of any other length is an error naming both lengths.
	 *
	 * @param len the exact number of bytes expected
	 * @return this reader
	 * @throws ImsgPayloadException when the remaining length differs
	 */
	public PayloadReader expectRemaining(int len) {
		if (remaining() != len) {
			throw new ImsgPayloadException("payload length mismatch: expected exactly " + len + " bytes, got "
					+ remaining());
		}
		return this;
	}

	private int take(int len) {
		if (len < 0) {
			throw new IllegalArgumentException("negative length " + len);
		}
		if (remaining() < len) {
			throw new ImsgPayloadException("payload too short: need " + len + " bytes at offset " + offset()
					+ ", only " + remaining() + " left");
		}
		int at = this.pos;
		this.pos += len;
		return at;
	}

	/**
	 * Reads one byte ({@code ibuf_get_n8}).
	 *
	 * @return the byte, 0..255
	 */
	public int getN8() {
		return Byte.toUnsignedInt(this.buf.get(take(1)));
	}

	/**
	 * Reads a 16-bit value in network byte order ({@code ibuf_get_n16}).
	 *
	 * @return the value, 0..65535
	 */
	public int getN16() {
		short v = this.buf.getShort(take(2));
		return Short.toUnsignedInt(NATIVE_IS_BIG ? v : Short.reverseBytes(v));
	}

	/**
	 * Reads a 32-bit value in network byte order ({@code ibuf_get_n32}).
	 *
	 * @return the value's 32 bits
	 */
	public int getN32() {
		int v = this.buf.getInt(take(4));
		return NATIVE_IS_BIG ? v : Integer.reverseBytes(v);
	}

	/**
	 * Reads a 64-bit value in network byte order ({@code ibuf_get_n64}).
	 *
	 * @return the value's 64 bits
	 */
	public long getN64() {
		long v = this.buf.getLong(take(8));
		return NATIVE_IS_BIG ? v : Long.reverseBytes(v);
	}

	/**
	 * Reads a 16-bit value in host byte order ({@code ibuf_get_h16}).
	 *
	 * @return the value, 0..65535
	 */
	public int getH16() {
		return Short.toUnsignedInt(this.buf.getShort(take(2)));
	}

	/**
	 * Reads a 32-bit value in host byte order ({@code ibuf_get_h32}), e.g. a C {@code int} or {@code pid_t}.
	 *
	 * @return the value's 32 bits
	 */
	public int getH32() {
		return this.buf.getInt(take(4));
	}

	/**
	 * Reads a 64-bit value in host byte order ({@code ibuf_get_h64}).
	 *
	 * @return the value's 64 bits
	 */
	public long getH64() {
		return this.buf.getLong(take(8));
	}

	/**
	 * Fills {@code dst} with the next bytes ({@code ibuf_get}).
	 *
	 * @param dst where to copy
	 * @return this reader
	 */
	public PayloadReader get(byte[] dst) {
		this.buf.get(take(dst.length), dst);
		return this;
	}

	/**
	 * Copies the next {@code len} bytes into a new array.
	 *
	 * @param len how many bytes
	 * @return the bytes
	 */
	public byte[] getBytes(int len) {
		byte[] out = new byte[len];
		get(out);
		return out;
	}

	/**
	 * Takes the next {@code len} bytes as a reader of their own and skips them here ({@code ibuf_get_ibuf}):
	 * the way to read a fixed-size C structure, or a length-prefixed part, without copying.
	 *
	 * @param len the size of the slice
	 * @return a reader over exactly those bytes
	 */
	public PayloadReader slice(int len) {
		int at = take(len);
		return new PayloadReader(this.buf, at, at + len);
	}

	/**
	 * Skips bytes ({@code ibuf_skip}).
	 *
	 * @param len how many bytes
	 * @return this reader
	 */
	public PayloadReader skip(int len) {
		take(len);
		return this;
	}

	/**
	 * A read-only view of the unread bytes, without consuming them.
	 *
	 * @return a buffer whose position is 0 and limit {@link #remaining()}
	 */
	public ByteBuffer remainingBuffer() {
		return this.buf.asReadOnlyBuffer().position(this.pos).limit(this.limit).slice();
	}

	/**
	 * Reads a field of exactly {@code len} bytes holding a string, as {@code ibuf_get_string}: the string
	 * ends at the first NUL within the field, or at its end; all {@code len} bytes are consumed.
	 *
	 * @param len the field's size
	 * @return the string, decoded as UTF-8
	 */
	public String getString(int len) {
		int at = take(len);
		return decode(at, nulOrEnd(at, at + len));
	}

	/**
	 * Reads a fixed-size character array, as {@code ibuf_get_strbuf}: {@code len} bytes whose last byte must
	 * be NUL (otherwise the string was truncated: {@code EOVERFLOW} in C).
	 *
	 * @param len the array's size, at least 1
	 * @return the string up to its first NUL, decoded as UTF-8
	 * @throws ImsgPayloadException when the last byte is not NUL
	 */
	public String getStrbuf(int len) {
		if (len < 1) {
			throw new IllegalArgumentException("string buffer size must be at least 1, got " + len);
		}
		int at = take(len);
		if (this.buf.get(at + len - 1) != 0) {
			throw new ImsgPayloadException("string of " + len + " bytes at offset " + (at - this.start)
					+ " is not NUL-terminated");
		}
		return decode(at, nulOrEnd(at, at + len));
	}

	/**
	 * Reads a NUL-terminated string of unknown length, consuming the NUL. The terminator must be found within
	 * {@code maxLen} bytes (the NUL included) and within the payload.
	 *
	 * @param maxLen the most bytes the string may take, its NUL included
	 * @return the string without its NUL, decoded as UTF-8
	 * @throws ImsgPayloadException when no NUL is found in time
	 */
	public String getCString(int maxLen) {
		int end = Math.min(this.limit, this.pos + Math.max(0, maxLen));
		int nul = nulOrEnd(this.pos, end);
		if (nul == end) {
			throw new ImsgPayloadException("no NUL terminator within " + (end - this.pos) + " bytes at offset "
					+ offset() + " (bound " + maxLen + ", " + remaining() + " left)");
		}
		int at = this.pos;
		this.pos = nul + 1;
		return decode(at, nul);
	}

	private int nulOrEnd(int from, int end) {
		for (int i = from; i < end; i++) {
			if (this.buf.get(i) == 0) {
				return i;
			}
		}
		return end;
	}

	private String decode(int from, int to) {
		byte[] bytes = new byte[to - from];
		this.buf.get(from, bytes);
		return new String(bytes, StandardCharsets.UTF_8);
	}
}
