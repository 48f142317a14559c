package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;

/** Small helpers for raw {@link FileDescriptor}s, which the JDK gives no way to close by themselves. */
public final class Fds {

	private Fds() {
	}

	/**
	 * Closes a raw descriptor. Closing one that is already closed does nothing.
	 *
	 * @param fd the descriptor to close
	 * @throws ImsgIoException when {@code close(2)} fails
	 */
	public static void close(FileDescriptor fd) {
		if (!fd.valid()) {
			return;
		}
		try {
			// A FileInputStream built on a descriptor closes exactly that descriptor; it has no cleaner of its own.
			new FileInputStream(fd).close();
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot close file descriptor", ex);
		}
	}

	/**
	 * Closes a raw descriptor, ignoring errors: for clean-up paths that already handle another failure.
	 *
	 * @param fd the descriptor to close
	 */
	public static void closeQuietly(FileDescriptor fd) {
		try {
			close(fd);
		}
		catch (RuntimeException ex) {
			// nothing better to do: the descriptor is gone either way
		}
	}
}
