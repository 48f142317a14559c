package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The two generations of the imsg header, chosen per channel. Both are 16 bytes in host byte order:
 * {@code u32 type, len, u32 peerid, u32 pid}, with {@code len} counting the header.
 *
 * <ul>
 *   <li>{@link #CLASSIC}: {@code u16 len, u16 flags}; flag {@code IMSGF_HASFD} (1) marks a message that
 *       carries a file descriptor (OpenBSD 7.6 and older, tmux 3.5 and older).
 *   <li>{@link #CURRENT}: {@code u32 len} whose bit 31 ({@code IMSG_FD_MARK}) marks the file descriptor
 *       (OpenBSD 7.7 and newer).
 * </ul>
 *
 * <p>The receiver's checks are OpenBSD's: a length below the header size or above the channel's maximum
 * is a protocol error ({@code ERANGE} in C).
 */
public enum WireFormat {

	/** {@code u16 len, u16 flags} with {@code IMSGF_HASFD} = 1, as in OpenBSD ≤ 7.6 and tmux ≤ 3.5. */
	CLASSIC(0xFFFF) {
		@Override
		void putLenAndFlags(ByteBuffer dst, int at, int len, boolean fd) {
			dst.putShort(at + 4, (short) len);
			dst.putShort(at + 6, (short) (fd ? IMSGF_HASFD : 0));
		}

		@Override
		int length(ByteBuffer src, int at) {
			return Short.toUnsignedInt(src.getShort(at + 4));
		}

		@Override
		boolean claimsFd(ByteBuffer src, int at) {
			return (src.getShort(at + 6) & IMSGF_HASFD) != 0;
		}
	},

	/** {@code u32 len} with bit 31 ({@code IMSG_FD_MARK}) as the fd mark, as in OpenBSD ≥ 7.7. */
	CURRENT(0x7FFFFFFF) {
		@Override
		void putLenAndFlags(ByteBuffer dst, int at, int len, boolean fd) {
			dst.putInt(at + 4, fd ? len | IMSG_FD_MARK : len);
		}

		@Override
		int length(ByteBuffer src, int at) {
			return src.getInt(at + 4) & ~IMSG_FD_MARK;
		}

		@Override
		boolean claimsFd(ByteBuffer src, int at) {
			return (src.getInt(at + 4) & IMSG_FD_MARK) != 0;
		}
	};

	/** Size of the header on the wire, in both generations ({@code IMSG_HEADER_SIZE}). */
	public static final int HEADER_SIZE = 16;

	/** The default largest message, header included ({@code MAX_IMSGSIZE}). */
	public static final int DEFAULT_MAX_MESSAGE_SIZE = 16384;

	/** Classic flag bit: this message carries a file descriptor. */
	public static final int IMSGF_HASFD = 1;

	/** Current length bit: this message carries a file descriptor. */
	public static final int IMSG_FD_MARK = 0x80000000;

	private final int largestLength;

	WireFormat(int largestLength) {
		this.largestLength = largestLength;
	}

	/**
	 * The largest value {@code len} can take in this generation: 65535 for classic (a {@code u16}),
	 * 2<sup>31</sup>-1 for current (bit 31 is the fd mark).
	 *
	 * @return the largest encodable message size, header included
	 */
	public int largestLength() {
		return this.largestLength;
	}

	/**
	 * Checks a channel's maximum message size as {@code imsgbuf_set_maxsize} does: it counts the header,
	 * must hold at least the header, and must be encodable in this generation's {@code len}.
	 *
	 * @param maxMessageSize the proposed maximum, header included
	 * @return {@code maxMessageSize}
	 * @throws ImsgSizeException naming the value and the valid range when it is out of range
	 */
	public int checkMaxMessageSize(long maxMessageSize) {
		if (maxMessageSize < HEADER_SIZE || maxMessageSize > this.largestLength) {
			throw new ImsgSizeException("max message size " + maxMessageSize + " is out of range for the "
					+ name().toLowerCase() + " wire format: it counts the " + HEADER_SIZE
					+ "-byte header and must be between " + HEADER_SIZE + " and " + this.largestLength);
		}
		return (int) maxMessageSize;
	}

	/**
	 * Writes a header at an absolute position of {@code dst}, which must be in
	 * {@linkplain ByteOrder#nativeOrder() native order}.
	 *
	 * @param dst the buffer, in native byte order
	 * @param at absolute position of the header's first byte
	 * @param type message type
	 * @param len message length, header included
	 * @param fd whether a file descriptor travels with this message
	 * @param peerid peer id
	 * @param pid sender's process id
	 */
	public void putHeader(ByteBuffer dst, int at, int type, int len, boolean fd, int peerid, int pid) {
		dst.putInt(at, type);
		putLenAndFlags(dst, at, len, fd);
		dst.putInt(at + 8, peerid);
		dst.putInt(at + 12, pid);
	}

	abstract void putLenAndFlags(ByteBuffer dst, int at, int len, boolean fd);

	/**
	 * Reads {@code len} (without the fd mark) from a header at an absolute position of a native-order buffer.
	 *
	 * @param src the buffer, in native byte order
	 * @param at absolute position of the header's first byte
	 * @return the message length the header declares, header included
	 */
	abstract int length(ByteBuffer src, int at);

	/**
	 * Whether the header at an absolute position says a file descriptor travels with its message.
	 *
	 * @param src the buffer, in native byte order
	 * @param at absolute position of the header's first byte
	 * @return {@code true} for {@code IMSGF_HASFD} (classic) or {@code IMSG_FD_MARK} (current)
	 */
	abstract boolean claimsFd(ByteBuffer src, int at);

	/**
	 * Decodes the header at an absolute position of a native-order buffer.
	 *
	 * @param src the buffer, in native byte order, holding at least {@link #HEADER_SIZE} bytes from {@code at}
	 * @param at absolute position of the header's first byte
	 * @return the header's fields
	 */
	public ImsgHeader decodeHeader(ByteBuffer src, int at) {
		return new ImsgHeader(src.getInt(at), length(src, at), claimsFd(src, at), src.getInt(at + 8),
				src.getInt(at + 12));
	}
}
