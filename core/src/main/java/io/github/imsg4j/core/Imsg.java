package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

import io.github.imsg4j.core.internal.SocketLayer;
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

	/** Shared by every message without a descriptor: it only ever holds {@code null}. */
	private static final AtomicReference<@Nullable FileDescriptor> NO_FD = new AtomicReference<>();

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

	private final boolean fdArrived;

	private final AtomicReference<@Nullable FileDescriptor> fd;

	private final Cleaner.@Nullable Cleanable cleanable;

	/** The descriptor came from the socket layer (see the decoder's constructor). */
	private final boolean received;

	/**
	 * The received descriptors of the connection whose socket still has {@link #fd} registered (junixsocket closes
	 * such descriptors with the socket), or {@code null} once the descriptor is independent. {@link #takeFd()} detaches it first; a
	 * message closed without taking its descriptor never pays for that. Guarded by {@code this}.
	 */
	private @Nullable ReceivedFds attachedTo;

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
		this(origin, type, peerid, pid, payload.slice().asReadOnlyBuffer(), 0, payload.remaining(), claimsFd, fd,
				false);
	}

	/**
	 * The decoder's constructor: the payload is {@code length} bytes at {@code offset} of {@code data}, a read-only
	 * buffer that many messages of one read share. No view is made until {@link #payload()} asks for one, so that
	 * a message costs one small object (and an {@link AtomicReference} and a {@link Cleaner} registration only
	 * when it carries a descriptor).
	 *
	 * @param received whether {@code fd} came from the socket layer, which then closes it directly (no JDK cleaner
	 *        is registered for such descriptors); {@code false} for one the application made
	 */
	Imsg(Object origin, int type, int peerid, int pid, ByteBuffer data, int offset, int length, boolean claimsFd,
			@Nullable FileDescriptor fd, boolean received) {
		this.origin = origin;
		this.type = type;
		this.peerid = peerid;
		this.pid = pid;
		this.data = data;
		this.offset = offset;
		this.length = length;
		this.claimsFd = claimsFd;
		this.fdArrived = fd != null;
		if (fd != null) {
			this.fd = new AtomicReference<>(fd);
			// A safety net only: a message dropped without close() still gives its descriptor back to the system.
			this.cleanable = CLEANER.register(this, new CloseUntaken(this.fd, received));
			this.received = received;
		}
		else {
			this.fd = NO_FD;
			this.cleanable = null;
			this.received = false;
		}
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
		return this.claimsFd && !this.fdArrived;
	}

	/**
	 * Whether the message still holds a descriptor that can be taken.
	 *
	 * @return {@code true} until the descriptor is taken or the message closed
	 */
	public boolean hasFd() {
		return this.fd != NO_FD && this.fd.get() != null;
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
		FileDescriptor taken;
		ReceivedFds attached;
		synchronized (this) {
			taken = (this.fd != NO_FD) ? this.fd.getAndSet(null) : null;
			attached = this.attachedTo;
			this.attachedTo = null;
			if (taken != null && attached != null) {
				try {
					taken = attached.detach(this, taken);
				}
				catch (java.io.IOException ex) {
					if (this.cleanable != null) {
						this.cleanable.clean();
					}
					throw new ImsgFdException(describe() + " has a file descriptor that could not be taken: "
							+ ex.getMessage() + " (it was closed)");
				}
			}
		}
		if (taken == null) {
			String why;
			if (!this.claimsFd) {
				why = "carries no file descriptor (its header claims none)";
			}
			else if (!this.fdArrived) {
				why = "claimed a file descriptor that never arrived (fd passing failed or is not enabled on this channel)";
			}
			else {
				why = "has no file descriptor left: it was already taken or the message was closed";
			}
			throw new ImsgFdException(describe() + " " + why);
		}
		if (this.cleanable != null) {
			this.cleanable.clean();
		}
		return taken;
	}

	/** Closes the descriptor if nobody took it. Closing twice does nothing. */
	@Override
	public void close() {
		if (this.fd == NO_FD) {
			return;
		}
		ReceivedFds attached;
		synchronized (this) {
			FileDescriptor left = this.fd.getAndSet(null);
			if (left != null) {
				// Also unregisters it from junixsocket's socket: no detaching needed to close it.
				closeFd(left, this.received);
			}
			attached = this.attachedTo;
			this.attachedTo = null;
		}
		if (attached != null) {
			attached.release(this);
		}
		if (this.cleanable != null) {
			this.cleanable.clean();
		}
	}

	/** Whether the descriptor came from the socket layer, which may then close it directly. */
	boolean fdFromSocket() {
		return this.received;
	}

	/** The channel delivers a message whose descriptor its socket still has registered. */
	synchronized void attachTo(ReceivedFds holder) {
		this.attachedTo = holder;
	}

	/**
	 * The channel's socket is about to close: a descriptor still held becomes independent of it, so that the
	 * message keeps it (a peer that sends a descriptor and exits must not take it back with it).
	 */
	void detachBeforeSocketCloses() {
		synchronized (this) {
			ReceivedFds attached = this.attachedTo;
			this.attachedTo = null;
			FileDescriptor raw = (this.fd != NO_FD) ? this.fd.get() : null;
			if (attached == null || raw == null) {
				return;
			}
			FileDescriptor owned;
			try {
				owned = attached.detach(this, raw);
			}
			catch (java.io.IOException ex) {
				owned = null; // out of descriptors: the message has none left, as if it never came
			}
			this.fd.set(owned);
		}
	}

	private String describe() {
		return "message type " + Integer.toUnsignedString(this.type) + " (len " + length() + ", peerid "
				+ Integer.toUnsignedString(this.peerid) + ", pid " + this.pid + ") from " + this.origin;
	}

	@Override
	public String toString() {
		return "Imsg[type=" + Integer.toUnsignedString(this.type) + ", len=" + length() + ", peerid="
				+ Integer.toUnsignedString(this.peerid) + ", pid=" + this.pid
				+ (this.claimsFd ? (this.fdArrived ? ", fd" : ", fd lost") : "") + "]";
	}

	/** Closes a descriptor nobody took; holds no reference to the message. */
	private record CloseUntaken(AtomicReference<@Nullable FileDescriptor> fd, boolean received) implements Runnable {

		@Override
		public void run() {
			FileDescriptor left = this.fd.getAndSet(null);
			if (left != null) {
				closeFd(left, this.received);
			}
		}
	}

	private static void closeFd(FileDescriptor fd, boolean received) {
		if (received) {
			SocketLayer.get().closeOwn(fd);
		}
		else {
			Fds.closeQuietly(fd);
		}
	}
}
