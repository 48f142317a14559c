package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

import io.github.imsg4j.core.internal.HeldFd;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * Turns the byte stream and descriptors of one connection into messages, with OpenBSD's checks.
 *
 * <p><b>Which message gets which descriptor.</b> A sender puts a message's descriptor on the {@code sendmsg}
 * that carries the message's first byte, and Linux hands the descriptors of one {@code sendmsg} to the one
 * {@code recvmsg} that reads its first byte. So each descriptor is kept with the stream range of the read
 * it came with, and goes to the first message that claims one ({@code IMSGF_HASFD} or
 * {@code IMSG_FD_MARK}) and starts in that range. This is what the current generation's C code does within
 * a read, made exact across reads; the classic C code takes the oldest queued descriptor, which comes to
 * the same for any sender that follows the rule. Only one descriptor per read is kept, as in C; extras are
 * closed at once. After every read the decoder keeps at most one descriptor: the one that came with the
 * first byte of the next, incomplete message, if that message may claim one. Any other can never be claimed
 * (a correct sender puts a descriptor only on a message's first byte) and is closed at once, so that a peer
 * which trickles one message and sends a descriptor with every byte makes us hold none of them. A claiming
 * message whose descriptor never came is delivered without one.
 *
 * <p>Runs on the channel's reading thread only (see {@link ChannelReader}).
 */
final class FrameDecoder {

	private static final System.Logger LOG = System.getLogger(FrameDecoder.class.getName());

	/** Read results. */
	enum Result {
		/** The read filled the buffer, or brought a descriptor: more may be waiting. */
		MORE,
		/** The socket had no more for now. */
		DRAINED,
		/** The peer closed the connection. */
		EOF
	}

	private record ReceivedFd(HeldFd fd, long from, long to) {
	}

	private static final HeldFd[] NO_FDS = new HeldFd[0];

	/** Header bytes needed to know whether a message claims a descriptor: type, then len (and classic's flags). */
	private static final int FD_MARK_END = 8;

	/** Names the connection in messages; its {@code toString()} is called only when one is written. */
	private final Object origin;

	private final WireFormat wire;

	private final int maxSize;

	/** Bytes of an incomplete message, carried to the next read. */
	private byte @Nullable [] partial;

	/** Stream offset of the first byte not yet decoded (the start of {@link #partial}). */
	private long base;

	private final ArrayDeque<ReceivedFd> fds = new ArrayDeque<>(2);

	/** Bytes read from the socket so far; read by tests on other threads. */
	private volatile long bytesRead;

	/** Lines about this peer's input, bounded per connection and in aggregate. */
	private final PeerLogLimiter.Connection warnings;

	FrameDecoder(Object origin, WireFormat wire, int maxSize, PeerLogLimiter.Connection warnings) {
		this.origin = origin;
		this.warnings = warnings;
		this.wire = wire;
		this.maxSize = maxSize;
	}

	/**
	 * One read from the transport into {@code buf}, then delivery of every complete message in order.
	 *
	 * @throws ImsgProtocolException on a bad header (after delivering the messages before it) or when the
	 *         peer closed in the middle of a message
	 * @throws IOException on a socket error
	 */
	Result readFrom(Transport transport, ByteBuffer buf, Consumer<Imsg> sink) throws IOException {
		buf.clear();
		byte[] carried = this.partial;
		if (carried != null) {
			buf.put(carried);
			this.partial = null;
		}
		long from = this.base + buf.position();
		int n = 0;
		HeldFd[] received = NO_FDS;
		try {
			n = transport.read(buf);
		}
		finally {
			received = transport.takeReceivedFds();
			adopt(received, from, from + Math.max(n, 0));
		}
		try {
			decode(buf, sink);
		}
		finally {
			// Counted once the read is fully dealt with, descriptors included: tests wait for this count.
			if (n > 0) {
				this.bytesRead += n;
			}
		}
		if (n < 0) {
			if (this.partial != null) {
				throw new ImsgProtocolException(this.origin + ": connection closed in the middle of a message ("
						+ this.partial.length + " bytes of it received" + describePartial() + ")");
			}
			return Result.EOF;
		}
		// Linux ends a read at the end of a sendmsg that carried descriptors, so a short read that brought one says
		// nothing about what else is waiting: read on rather than go back to poll(2) once per such message.
		return (buf.hasRemaining() && received.length == 0) ? Result.DRAINED : Result.MORE;
	}

	private String describePartial() {
		byte[] p = this.partial;
		if (p == null || p.length < WireFormat.HEADER_SIZE) {
			return ", header incomplete";
		}
		ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.nativeOrder());
		return ", header " + this.wire.decodeHeader(b, 0);
	}

	private void adopt(HeldFd[] received, long from, long to) {
		if (received.length > 1) {
			this.warnings.log(LOG, System.Logger.Level.WARNING, () -> this.origin + ": peer sent " + received.length
					+ " descriptors with the bytes at stream offset " + from + "; imsg takes one per message: closing "
					+ (received.length - 1), null);
		}
		for (int i = 0; i < received.length; i++) {
			HeldFd fd = received[i];
			// One descriptor per message and per read, as imsg's recvmsg keeps only the first of a cmsg.
			if (i == 0 && to > from) {
				this.fds.addLast(new ReceivedFd(fd, from, to));
			}
			else {
				fd.close();
			}
		}
	}

	private void decode(ByteBuffer buf, Consumer<Imsg> sink) {
		int end = buf.position();
		int complete = 0;
		ImsgProtocolException error = null;
		while (end - complete >= WireFormat.HEADER_SIZE) {
			int len = this.wire.length(buf, complete);
			if (len < WireFormat.HEADER_SIZE || len > this.maxSize) {
				error = new ImsgProtocolException(this.origin + ": bad imsg header at stream offset "
						+ (this.base + complete) + ": len " + len + " is "
						+ ((len < WireFormat.HEADER_SIZE) ? "below the " + WireFormat.HEADER_SIZE + "-byte header"
								: "above the channel's maximum of " + this.maxSize)
						+ " (" + this.wire.name().toLowerCase() + " header " + this.wire.decodeHeader(buf, complete)
						+ ")");
				break;
			}
			if (end - complete < len) {
				break;
			}
			complete += len;
		}
		if (complete > 0) {
			deliver(buf, complete, sink);
		}
		this.base += complete;
		// The next message starts at base: it may claim a descriptor unless its header says it does not (the fd
		// mark or flag is within the header's first 8 bytes in both generations).
		closeUnclaimable(end - complete < FD_MARK_END || this.wire.claimsFd(buf, complete));
		if (error != null) {
			throw error;
		}
		if (complete < end) {
			byte[] rest = new byte[end - complete];
			buf.get(complete, rest);
			this.partial = rest;
		}
	}

	/**
	 * Copies the payloads of the complete messages out of the shared buffer into one array, and hands out views of
	 * it. Headers are read where they are and not copied: a 64-byte message then costs its 64 payload bytes (the
	 * {@code Imsg} itself is often scalar-replaced by the JIT when the listener does not keep it).
	 */
	private void deliver(ByteBuffer buf, int complete, Consumer<Imsg> sink) {
		int payloads = 0;
		for (int at = 0; at < complete;) {
			int len = this.wire.length(buf, at);
			payloads += len - WireFormat.HEADER_SIZE;
			at += len;
		}
		byte[] copy = new byte[payloads];
		ByteBuffer shared = ByteBuffer.wrap(copy).asReadOnlyBuffer();
		int at = 0;
		int to = 0;
		while (at < complete) {
			int len = this.wire.length(buf, at);
			int payload = len - WireFormat.HEADER_SIZE;
			buf.get(at + WireFormat.HEADER_SIZE, copy, to, payload);
			boolean claims = this.wire.claimsFd(buf, at);
			HeldFd fd = claims ? claim(this.base + at) : null;
			sink.accept(new Imsg(this.origin, buf.getInt(at), buf.getInt(at + 8), buf.getInt(at + 12), shared, to,
					payload, claims, fd));
			at += len;
			to += payload;
		}
	}

	private @Nullable HeldFd claim(long messageStart) {
		Iterator<ReceivedFd> it = this.fds.iterator();
		while (it.hasNext()) {
			ReceivedFd r = it.next();
			if (r.from() > messageStart) {
				return null;
			}
			if (messageStart < r.to()) {
				it.remove();
				return r.fd();
			}
		}
		return null;
	}

	/**
	 * Closes every descriptor except one that arrived with the next message's first byte (stream offset
	 * {@link #base}), which that message may still claim: no other message can.
	 */
	private void closeUnclaimable(boolean nextMayClaim) {
		ReceivedFd keep = null;
		ReceivedFd r;
		while ((r = this.fds.pollFirst()) != null) {
			if (keep == null && nextMayClaim && r.from() <= this.base && this.base < r.to()) {
				keep = r;
				continue;
			}
			this.warnings.log(LOG, System.Logger.Level.WARNING, unclaimedMessage(r), null);
			r.fd().close();
		}
		if (keep != null) {
			this.fds.addFirst(keep);
		}
	}

	private java.util.function.Supplier<String> unclaimedMessage(ReceivedFd unclaimed) {
		return () -> this.origin + ": closing a descriptor that arrived with stream bytes " + unclaimed.from() + ".."
				+ unclaimed.to() + ", where no message claims one";
	}

	long bytesRead() {
		return this.bytesRead;
	}

	/** Closes every descriptor still held and forgets partial data; the connection is gone. */
	void dispose() {
		ReceivedFd r;
		while ((r = this.fds.pollFirst()) != null) {
			r.fd().close();
		}
		this.partial = null;
	}
}
