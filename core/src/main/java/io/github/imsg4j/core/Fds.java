package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.github.imsg4j.core.internal.SocketLayer;

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

	/**
	 * What a descriptor names, as {@code /proc/self/fd} shows it: the path of an open file, or something like
	 * {@code socket:[1234]}. For logs, and for checking what was actually opened.
	 *
	 * @param fd an open descriptor
	 * @return what it names, or empty if that cannot be told (no {@code /proc}, descriptor closed)
	 */
	public static Optional<Path> target(FileDescriptor fd) {
		try {
			int n = SocketLayer.get().number(fd);
			return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/" + n)));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	/**
	 * The {@code /proc/self/fd/N} path of a descriptor: following it reaches the open file itself (its type, its
	 * size), not whatever its old path names now.
	 *
	 * @param fd an open descriptor
	 * @return the path, or empty if the descriptor's number cannot be told
	 */
	public static Optional<Path> procPath(FileDescriptor fd) {
		try {
			int n = SocketLayer.get().number(fd);
			return Optional.of(Path.of("/proc/self/fd/" + n));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}
}
