package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

import io.github.imsg4j.core.Fds;
import org.jspecify.annotations.Nullable;

/**
 * A descriptor queued to be sent, and what becomes of it once sent or discarded: the socket layer's side of
 * {@code OutboundFd}. Held either as a {@link FileDescriptor} or, when the FFM layer opened or received it
 * itself, as a plain number: then sending and closing it need no object (no JNI call to make one, read its
 * number back and invalidate it, and on the module path, where those calls are not reachable, no
 * {@code fcntl}/{@code getsockname} probe per descriptor either).
 *
 * <p>Immutable, except that a number-held descriptor gets its object the first time someone asks for one
 * (double-checked under this object's monitor, published through a volatile field).
 */
public final class OutgoingFd {

	/** The number when held as one (the layer made it); -1 when held as an object. */
	private final int number;

	/** Published by {@link #object()} for a number-held one; set from the start otherwise. */
	private volatile @Nullable FileDescriptor object;

	private final boolean closeAfterSend;

	private final boolean madeHere;

	private OutgoingFd(int number, @Nullable FileDescriptor object, boolean closeAfterSend, boolean madeHere) {
		this.number = number;
		this.object = object;
		this.closeAfterSend = closeAfterSend;
		this.madeHere = madeHere;
	}

	/**
	 * @param fd the descriptor
	 * @param closeAfterSend whether the channel owns it and closes it once sent or discarded
	 * @param madeHere whether the socket layer made it (no JDK cleaner knows it; see {@link SocketLayer#closeOwn})
	 * @return a descriptor held as an object
	 */
	public static OutgoingFd ofObject(FileDescriptor fd, boolean closeAfterSend, boolean madeHere) {
		return new OutgoingFd(-1, Objects.requireNonNull(fd, "fd"), closeAfterSend, madeHere);
	}

	/**
	 * @param fd a number the socket layer made (opened or received), which the channel now owns
	 * @return a descriptor held as that number, closed once sent or discarded
	 */
	public static OutgoingFd ofNumber(int fd) {
		if (fd < 0) {
			throw new IllegalArgumentException("not a descriptor: " + fd);
		}
		return new OutgoingFd(fd, null, true, true);
	}

	/**
	 * @return the number when the layer holds this descriptor as one, -1 when it is held as an object (ask the
	 *         layer: {@link SocketLayer#number})
	 */
	public int heldNumber() {
		return this.number;
	}

	/**
	 * The descriptor as an object; for a number-held one made on the first call (and invalidated when the channel
	 * closes the descriptor).
	 *
	 * @return the object
	 * @throws UncheckedIOException when none can be made
	 */
	public FileDescriptor object() {
		FileDescriptor o = this.object;
		if (o == null) {
			synchronized (this) {
				o = this.object;
				if (o == null) {
					try {
						o = SocketLayer.get().object(this.number);
					}
					catch (IOException ex) {
						throw new UncheckedIOException("no descriptor object for " + this.number, ex);
					}
					this.object = o;
				}
			}
		}
		return o;
	}

	/**
	 * @return whether the channel closes the descriptor once sent (or when its message is discarded)
	 */
	public boolean closeAfterSend() {
		return this.closeAfterSend;
	}

	/**
	 * @return whether the socket layer made the descriptor, so that it may close it directly
	 */
	public boolean madeHere() {
		return this.madeHere;
	}

	/** Its message was sent or discarded: closes the descriptor when the channel owns it, leaves it otherwise. */
	public void release() {
		if (!this.closeAfterSend) {
			return;
		}
		FileDescriptor o = this.object;
		if (o == null) {
			SocketLayer.get().closeNumber(this.number);
		}
		else if (this.madeHere) {
			SocketLayer.get().closeOwn(o); // invalidates the object first, then closes the number once
		}
		else {
			Fds.closeQuietly(o); // the application's: the JDK may hold a cleaner for it
		}
	}
}
