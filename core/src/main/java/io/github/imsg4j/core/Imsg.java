package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

import io.github.imsg4j.core.internal.HeldFd;
import io.github.imsg4j.core.internal.OutgoingFd;
import org.jspecify.annotations.Nullable;

/**
 * A received message: header fields, a read-only view of its payload, and at most one file descriptor.
 *
 * <p>The descriptor has exactly one owner. The message owns it until the application calls {@link #takeFd()},
 * which transfers it to the application; {@link #close()} closes a descriptor nobody took. A message whose
 * header claimed a descriptor that never arrived (fd passing failed, or was refused by the channel's
 * options) is delivered without one, as OpenBSD does ({@code imsg_get_fd()} returns -1): {@link #fdLost()}
 * says so, and {@link #takeFd()} fails with a message saying so.
 *
 * <p>Header fields and payload never change; the payload is shared, not copied, by every view.
 */
public final class Imsg implements AutoCloseable {

	private static final Cleaner CLEANER = Cleaner.create();

	/** Where the message came from (the channel, or a string), for error messages. */
	private final Object origin;

	private final int type;

	private final int peerid;

	private final int pid;

	/** Read-only memory holding the payload at [{@link #offset}, {@link #offset} + {@link #length}); often shared. */
	private final ByteBuffer data;

	private final int offset;

	private final int length;

	private final boolean claimsFd;

	/** The descriptor and its state (held, taken, closed), or {@code null} when none came. */
	private final @Nullable HeldFd fd;

	/** Closes {@link #fd} if a message is dropped without {@link #close()}; {@code null} without one. */
	private final Cleaner.@Nullable Cleanable cleanable;

	/**
	 * Creates a message. Channels create them as they decode; tests and forwarding code may too.
	 *
	 * @param origin where the message came from, for error messages (e.g. the channel's name)
	 * @param type message type
	 * @param peerid peer id
	 * @param pid process id from the header
	 * @param payload the payload bytes between position and limit, shared, not copied
	 * @param claimsFd whether the header claimed a descriptor
	 * @param fd the descriptor that came with the message, owned by the message from now on, or {@code null}
	 */
	public Imsg(String origin, int type, int peerid, int pid, ByteBuffer payload, boolean claimsFd,
			@Nullable FileDescriptor fd) {
		this(origin, type, peerid, pid, payload.slice().asReadOnlyBuffer(), 0, payload.remaining(), claimsFd,
				(fd != null) ? HeldFd.ofApplication(fd) : null);
	}

	/**
	 * The decoder's constructor: the payload is {@code length} bytes at {@code offset} of {@code data}, a read-only
	 * buffer that many messages of one read share. No view is made until {@link #payload()} asks for one, so that
	 * a message costs one small object (and a {@link Cleaner} registration only when it carries a descriptor).
	 *
	 * @param fd the descriptor that came with the message, held by the message from now on, or {@code null}
	 */
	Imsg(Object origin, int type, int peerid, int pid, ByteBuffer data, int offset, int length, boolean claimsFd,
			@Nullable HeldFd fd) {
		this.origin = origin;
		this.type = type;
		this.peerid = peerid;
		this.pid = pid;
		this.data = data;
		this.offset = offset;
		this.length = length;
		this.claimsFd = claimsFd;
		this.fd = fd;
		// A safety net only: a message dropped without close() still gives its descriptor back to the system.
		this.cleanable = (fd != null) ? CLEANER.register(this, fd) : null;
	}

	/**
	 * The message type ({@code imsg_get_type}).
	 *
	 * @return the type's 32 bits
	 */
	public int type() {
		return this.type;
	}

	/**
	 * The peer id ({@code imsg_get_id}).
	 *
	 * @return the peer id's 32 bits
	 */
	public int peerId() {
		return this.peerid;
	}

	/**
	 * The pid written in the header by the sender ({@code imsg_get_pid}); unlike
	 * {@link PeerCredentials#pid()}, the sender chooses it.
	 *
	 * @return the header's pid
	 */
	public int pid() {
		return this.pid;
	}

	/**
	 * The payload length, header excluded ({@code imsg_get_len}).
	 *
	 * @return the number of payload bytes
	 */
	public int length() {
		return this.length;
	}

	/**
	 * A read-only view of the whole payload; nothing is copied.
	 *
	 * @return a buffer with position 0 and limit {@link #length()}
	 */
	public ByteBuffer payload() {
		return this.data.slice(this.offset, this.length);
	}

	/**
	 * A reader over the whole payload, for the {@code ibuf_get_*} family of reads.
	 *
	 * @return a new reader at offset 0
	 */
	public PayloadReader reader() {
		return PayloadReader.of(payload());
	}

	/**
	 * A reader over a payload that must be exactly {@code len} bytes long, as {@code imsg_get_data} demands
	 * for a fixed structure.
	 *
	 * @param len the exact payload length expected
	 * @return a reader at offset 0
	 * @throws ImsgPayloadException naming the message, the expected and the actual length otherwise
	 */
	public PayloadReader data(int len) {
		if (length() != len) {
			throw new ImsgPayloadException(describe() + ": payload length mismatch: expected exactly " + len
					+ " bytes, got " + length());
		}
		return reader();
	}

	/**
	 * A copy of the payload.
	 *
	 * @return a new array with the payload bytes
	 */
	public byte[] bytes() {
		byte[] copy = new byte[length()];
		this.data.get(this.offset, copy);
		return copy;
	}

	/**
	 * Whether the header claimed a file descriptor ({@code IMSGF_HASFD} or {@code IMSG_FD_MARK}).
	 *
	 * @return {@code true} if the sender said a descriptor comes with this message
	 */
	public boolean claimsFd() {
		return this.claimsFd;
	}

	/**
	 * Whether the header claimed a descriptor that never arrived: fd passing failed, or this channel does not
	 * accept descriptors.
	 *
	 * @return {@code true} if a descriptor was claimed but none came
	 */
	public boolean fdLost() {
		return this.claimsFd && this.fd == null;
	}

	/**
	 * Whether the message still holds a descriptor that can be taken.
	 *
	 * @return {@code true} until the descriptor is taken or the message closed
	 */
	public boolean hasFd() {
		HeldFd f = this.fd;
		return f != null && f.isHeld();
	}

	/**
	 * Takes the descriptor: from now on the caller owns it and must close it (e.g. with {@link Fds#close} or by
	 * wrapping it in a stream).
	 *
	 * @return the descriptor
	 * @throws ImsgFdException when the message has none: it claimed none, the claimed one never arrived, or it
	 *         was already taken or closed
	 */
	public FileDescriptor takeFd() {
		HeldFd f = this.fd;
		FileDescriptor taken = null;
		if (f != null) {
			try {
				taken = f.take();
			}
			catch (java.io.IOException ex) {
				throw new ImsgFdException(describe() + " has a file descriptor that could not be taken: "
						+ ex.getMessage() + " (it was closed)");
			}
			finally {
				noLongerHeld();
			}
		}
		if (taken == null) {
			throw noFd(f);
		}
		return taken;
	}

	/**
	 * Takes the descriptor to send it on ({@link OutboundFd#forwardFrom}): as the number it arrived as where the
	 * socket layer holds it so, no object made.
	 */
	OutgoingFd takeFdToSend() {
		HeldFd f = this.fd;
		if (f == null || !f.heldAsNumber()) {
			boolean madeHere = fdMadeHere();
			return OutgoingFd.ofObject(takeFd(), true, madeHere);
		}
		int n;
		try {
			n = f.takeNumber();
		}
		finally {
			noLongerHeld();
		}
		if (n < 0) {
			throw noFd(f);
		}
		return OutgoingFd.ofNumber(n);
	}

	private void noLongerHeld() {
		Cleaner.Cleanable c = this.cleanable;
		if (c != null) {
			c.clean(); // the message no longer holds it: nothing left for the cleaner
		}
	}

	private ImsgFdException noFd(@Nullable HeldFd f) {
		String why;
		if (!this.claimsFd) {
			why = "carries no file descriptor (its header claims none)";
		}
		else if (f == null) {
			why = "claimed a file descriptor that never arrived (fd passing failed or is not enabled on this channel)";
		}
		else {
			why = "has no file descriptor left: it was already taken or the message was closed";
		}
		return new ImsgFdException(describe() + " " + why);
	}

	/** Closes the descriptor if nobody took it. Closing twice does nothing. */
	@Override
	public void close() {
		Cleaner.Cleanable c = this.cleanable;
		if (c != null) {
			c.clean(); // runs the descriptor's close() once, whoever comes first
		}
	}

	/** The descriptor, for the channel to count it; {@code null} when none came. */
	@Nullable HeldFd heldFd() {
		return this.fd;
	}

	/** Whether the socket layer made the descriptor, which may then close it directly (no JDK cleaner). */
	boolean fdMadeHere() {
		HeldFd f = this.fd;
		return f != null && f.madeHere();
	}

	private String describe() {
		return "message type " + Integer.toUnsignedString(this.type) + " (len " + length() + ", peerid "
				+ Integer.toUnsignedString(this.peerid) + ", pid " + this.pid + ") from " + this.origin;
	}

	@Override
	public String toString() {
		return "Imsg[type=" + Integer.toUnsignedString(this.type) + ", len=" + length() + ", peerid="
				+ Integer.toUnsignedString(this.peerid) + ", pid=" + this.pid
				+ (this.claimsFd ? ((this.fd != null) ? ", fd" : ", fd lost") : "") + "]";
	}
}
