package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;

import io.github.imsg4j.core.Fds;
import org.jspecify.annotations.Nullable;

/**
 * A received descriptor with its single owner: held (by a message, or by the decoder until a message claims
 * it) until the application takes it, or closed. How it is held is the socket layer's business: a plain
 * number on the FFM layer, turned into a {@link FileDescriptor} only when taken; junixsocket's own object on
 * the junixsocket layer.
 *
 * <p>Whoever holds it ends it exactly once: {@link #take()} or {@link #close()}, from any thread; a holder that
 * counts descriptors ({@link Holder}) is told once, whichever comes first. As a {@link Runnable} it is the
 * {@code Cleaner} action of a message dropped without {@code close()}.
 *
 * <p>One scheme: this object's monitor guards its state, and is held while the descriptor is handed over, closed
 * or untied, so that those never overlap; holders are told after it is let go. Tied to its socket or not is the
 * socket layer's business, not the holder's.
 */
public abstract class HeldFd implements Runnable {

	/** Counts held descriptors; told once when one is taken or closed. */
	public interface Holder {

		/**
		 * The descriptor is no longer held. Called without the descriptor's monitor.
		 *
		 * @param fd the descriptor
		 */
		void released(HeldFd fd);
	}

	private @Nullable Holder holder;

	/** Taken or closed. */
	private boolean gone;

	/**
	 * A descriptor the application made, given to a message it builds itself: closed through the JDK.
	 *
	 * @param fd the descriptor, owned by the returned object from now on
	 * @return the holder
	 */
	public static HeldFd ofApplication(FileDescriptor fd) {
		return new Application(fd);
	}

	/**
	 * Counts this descriptor against {@code holder} until it is taken or closed.
	 *
	 * @param holder told once when it is
	 */
	public final synchronized void holdFor(Holder holder) {
		if (!this.gone) {
			this.holder = holder;
		}
	}

	/**
	 * @return {@code true} until the descriptor is taken or closed
	 */
	public final synchronized boolean isHeld() {
		return !this.gone;
	}

	/**
	 * Takes the descriptor: from now on the caller owns the returned object.
	 *
	 * @return the descriptor, or {@code null} when it was already taken or closed
	 * @throws IOException when no object could be made for it (it is closed then)
	 */
	public final @Nullable FileDescriptor take() throws IOException {
		Holder told = null;
		try {
			synchronized (this) {
				if (this.gone) {
					return null;
				}
				told = end();
				return handOver();
			}
		}
		finally {
			tell(told); // after the monitor is let go
		}
	}

	/**
	 * Takes the descriptor as its number, making no object: for the socket layer to send on and close. Only for
	 * {@link #heldAsNumber()} ones.
	 *
	 * @return the number, which the caller owns from now on, or -1 when it was already taken or closed
	 * @throws UnsupportedOperationException when it is not held as a number
	 */
	public final int takeNumber() {
		if (!heldAsNumber()) {
			throw new UnsupportedOperationException("held as an object: take() it");
		}
		Holder told = null;
		try {
			synchronized (this) {
				if (this.gone) {
					return -1;
				}
				told = end();
				return handOverNumber();
			}
		}
		finally {
			tell(told);
		}
	}

	/** Closes the descriptor unless it was taken or closed already. */
	public final void close() {
		Holder told = null;
		try {
			synchronized (this) {
				if (this.gone) {
					return;
				}
				told = end();
				closeNow();
			}
		}
		finally {
			tell(told);
		}
	}

	/** Marks it taken or closed (holding the monitor); returns the holder to tell once the monitor is let go. */
	private @Nullable Holder end() {
		this.gone = true;
		Holder told = this.holder;
		this.holder = null;
		return told;
	}

	private void tell(@Nullable Holder told) {
		if (told != null) {
			told.released(this);
		}
	}

	/** The {@code Cleaner}'s action: {@link #close()}. */
	@Override
	public final void run() {
		close();
	}

	/**
	 * @return whether the socket layer made the descriptor (it then closes it directly, no JDK cleaner involved)
	 */
	public boolean madeHere() {
		return true;
	}

	/**
	 * @return whether the descriptor is a plain number, registered nowhere, that {@link #takeNumber()} can hand
	 *         over as it is (the FFM layer's)
	 */
	public boolean heldAsNumber() {
		return false;
	}

	/**
	 * Right before the socket it came on closes, for a socket layer whose received descriptors die with their
	 * socket (junixsocket's, see {@code JunixTransport}): makes a still-held descriptor independent of it; if that
	 * fails (out of descriptors), it is lost, as if it never came.
	 */
	final synchronized void untieFromSocket() {
		if (!this.gone && !untie()) {
			this.gone = true;
		}
	}

	/**
	 * Makes the caller's object. Runs once, holding the monitor, so that {@link #untieFromSocket()} (the socket is
	 * about to close) waits for a copy in progress rather than let the socket close under it.
	 *
	 * @return an object the caller owns
	 * @throws IOException when none could be made; the descriptor must be closed then
	 */
	protected abstract FileDescriptor handOver() throws IOException;

	/**
	 * The number, for {@link #takeNumber()}; only {@link #heldAsNumber()} ones have one. Runs once, holding the
	 * monitor.
	 *
	 * @return the number, which the caller owns from now on
	 */
	protected int handOverNumber() {
		throw new UnsupportedOperationException();
	}

	/** Closes the descriptor. Runs once, holding the monitor (see {@link #handOver()}). */
	protected abstract void closeNow();

	/**
	 * See {@link #untieFromSocket()}; holds the monitor.
	 *
	 * @return {@code false} when the descriptor is lost (and closed)
	 */
	boolean untie() {
		return true;
	}

	/** A descriptor the application made: it may have a JDK cleaner, so it is closed through the JDK. */
	private static final class Application extends HeldFd {

		private final FileDescriptor fd;

		Application(FileDescriptor fd) {
			this.fd = fd;
		}

		@Override
		public boolean madeHere() {
			return false;
		}

		@Override
		protected FileDescriptor handOver() {
			return this.fd;
		}

		@Override
		protected void closeNow() {
			Fds.closeQuietly(this.fd);
		}
	}
}
