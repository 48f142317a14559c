package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.internal.JunixInternals;
import io.github.imsg4j.core.internal.OutgoingFd;
import io.github.imsg4j.core.internal.SocketLayer;

/**
 * A file descriptor to send with a message, and who owns it afterwards.
 *
 * <p>imsg's rule is that the sender closes the descriptor once the message carrying it has been sent:
 * {@link #transfer} hands the descriptor to the channel, which closes it after the {@code sendmsg} that
 * carries the message's first byte, or when the message is discarded (abort, failed connection).
 * {@link #keepOpen} leaves ownership with the caller, who must keep the descriptor open until the message
 * has been flushed and closes it afterwards.
 *
 * <p>Until a channel has queued it, a transferred descriptor is still its creator's: {@link #close()} (or
 * try-with-resources around a send that may fail) closes it then, and does nothing once a channel took it, so
 * that it is closed exactly once whatever happens. How the descriptor is held (an object, or a number the socket
 * layer made) is the socket layer's business, never the caller's.
 */
public final class OutboundFd implements AutoCloseable {

	private static final int CALLERS = 0;

	private static final int QUEUED = 1;

	private static final int CLOSED = 2;

	/** The socket layer's side: how the descriptor is held, and what becomes of it once sent. */
	private final OutgoingFd outgoing;

	/** Who owns a transferred descriptor: its creator, a channel that queued it, or nobody (closed). */
	private final AtomicInteger owner = new AtomicInteger(CALLERS);

	private OutboundFd(OutgoingFd outgoing) {
		this.outgoing = outgoing;
	}

	/**
	 * Gives the descriptor to the channel: it is closed once sent, or when the message is discarded.
	 *
	 * @param fd an open descriptor that the caller no longer uses
	 * @return the descriptor, owned by the channel from the moment the message is queued
	 */
	public static OutboundFd transfer(FileDescriptor fd) {
		return new OutboundFd(OutgoingFd.ofObject(fd, true, false));
	}

	/**
	 * Sends the descriptor but leaves it with the caller, who must keep it open until the message has been
	 * flushed ({@link ImsgChannel#flush(java.time.Duration)}) and then closes it.
	 *
	 * @param fd an open descriptor that stays the caller's
	 * @return the descriptor, still owned by the caller
	 */
	public static OutboundFd keepOpen(FileDescriptor fd) {
		return new OutboundFd(OutgoingFd.ofObject(fd, false, false));
	}

	/**
	 * Sends the descriptor of something open (a file stream, a {@code RandomAccessFile}, or a junixsocket socket,
	 * channel or stream) and leaves it with the caller, who keeps it open until the message has been flushed.
	 * JDK NIO channels ({@code FileChannel}, {@code SocketChannel}) do not give out their descriptor: open the file
	 * as a stream or {@code RandomAccessFile}, or use {@link #openReadOnly}.
	 *
	 * @param open the open object, still the caller's
	 * @return its descriptor, still owned by the caller
	 * @throws IllegalArgumentException for a type whose descriptor cannot be reached
	 * @throws UncheckedIOException when it is closed
	 */
	public static OutboundFd keepOpen(java.io.Closeable open) {
		try {
			FileDescriptor fd;
			FileDescriptor junix = JunixInternals.descriptorOf(open);
			if (open instanceof FileInputStream in) {
				fd = in.getFD();
			}
			else if (open instanceof java.io.FileOutputStream out) {
				fd = out.getFD();
			}
			else if (open instanceof java.io.RandomAccessFile raf) {
				fd = raf.getFD();
			}
			else if (junix != null) {
				fd = junix;
			}
			else {
				throw new IllegalArgumentException("cannot reach the descriptor of a " + open.getClass().getName()
						+ ": pass a FileInputStream, FileOutputStream, RandomAccessFile or a junixsocket channel, "
						+ "or a FileDescriptor");
			}
			if (!fd.valid()) {
				throw new UncheckedIOException(new IOException("the " + open.getClass().getSimpleName() + " is closed"));
			}
			return keepOpen(fd);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot get the descriptor of " + open, ex);
		}
	}

	/**
	 * Opens a file read-only (close-on-exec) and transfers the new descriptor to the channel. On the FFM transport
	 * this is one {@code open(2)}, and the descriptor is closed after sending with one {@code close(2)}, with no
	 * {@code FileDescriptor} object made in between: several microseconds less per descriptor than a
	 * {@code FileInputStream} and {@link #transfer}.
	 *
	 * @param path the file to open
	 * @return the new descriptor, owned by the channel once the message is queued
	 * @throws UncheckedIOException when the file cannot be opened
	 */
	public static OutboundFd openReadOnly(Path path) {
		try {
			return new OutboundFd(SocketLayer.get().openReadOnly(path));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot open " + path + " to send its descriptor", ex);
		}
	}

	/**
	 * Takes a received message's descriptor to send it on (a proxy, a privileged parent handing a child what
	 * another child opened): the channel closes it once sent. The same as {@link #transfer} of
	 * {@link Imsg#takeFd()}, minus the costs of a descriptor the application holds: on the FFM transport the
	 * descriptor stays the number it arrived as (no {@code FileDescriptor} is made unless {@link #fd()} is called)
	 * and is closed with one {@code close(2)} after sending, as a received descriptor nobody takes is.
	 *
	 * @param message a received message with a descriptor; it no longer has one afterwards
	 * @return the descriptor, owned by the channel once the message is queued (the caller's if queueing fails)
	 * @throws ImsgFdException when the message has no descriptor (see {@link Imsg#takeFd()})
	 */
	public static OutboundFd forwardFrom(Imsg message) {
		return new OutboundFd(message.takeFdToSend());
	}

	/**
	 * The descriptor itself. For one imsg4j's FFM layer opened ({@link #openReadOnly}) or received
	 * ({@link #forwardFrom}) the object is made on the first call; the channel invalidates it when it closes the
	 * descriptor.
	 *
	 * @return the descriptor
	 * @throws UncheckedIOException when no object can be made for it
	 */
	public FileDescriptor fd() {
		return this.outgoing.object();
	}

	/**
	 * Whether the channel closes the descriptor once sent.
	 *
	 * @return {@code true} for {@link #transfer}, {@code false} for {@link #keepOpen}
	 */
	public boolean closeAfterSend() {
		return this.outgoing.closeAfterSend();
	}

	/**
	 * Gives up a descriptor no channel queued: a transferred one is closed (the way its holder must close it: the
	 * socket layer's for one it made, the JDK's for an application's object); a {@link #keepOpen} one is left to
	 * its owner. Does nothing once a channel queued it (the channel closes it once sent or discarded), and nothing
	 * the second time.
	 */
	@Override
	public void close() {
		if (this.outgoing.closeAfterSend() && this.owner.compareAndSet(CALLERS, CLOSED)) {
			this.outgoing.release();
		}
	}

	/** Whether imsg4j's socket layer made the descriptor (for tests of that path). */
	boolean madeHere() {
		return this.outgoing.madeHere();
	}

	/**
	 * The socket layer's side, for the channel's queue: the channel owns a transferred descriptor from now on.
	 *
	 * @throws IllegalStateException when a transferred descriptor was queued or closed already
	 */
	OutgoingFd claim() {
		if (this.outgoing.closeAfterSend() && !this.owner.compareAndSet(CALLERS, QUEUED)) {
			throw new IllegalStateException("this OutboundFd was already "
					+ ((this.owner.get() == QUEUED) ? "sent" : "closed") + ": a transferred descriptor is sent once");
		}
		return this.outgoing;
	}
}
