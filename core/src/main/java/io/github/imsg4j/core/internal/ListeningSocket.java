package io.github.imsg4j.core.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/** A listening {@code AF_UNIX} stream socket of the {@link SocketLayer} in use. */
public interface ListeningSocket extends Closeable {

	/**
	 * {@code bind(2)} and {@code listen(2)}.
	 *
	 * @param path where; at most 107 bytes
	 * @param backlog the listen backlog
	 * @throws IOException when either fails
	 */
	void bind(Path path, int backlog) throws IOException;

	/**
	 * Whether the path the socket was bound at must stay while it listens: junixsocket checks it on every
	 * accept unless that check can be turned off. The FFM transport never looks at it again.
	 *
	 * @return {@code true} when the bound path must be kept
	 */
	boolean needsBoundPath();

	/**
	 * Whether {@link #bind} can take a {@code /proc/self/fd/N/s} path, whose name is not the socket's.
	 *
	 * @return {@code true} when such paths bind
	 */
	boolean bindsThroughDescriptors();

	/**
	 * Accepts one waiting connection without blocking.
	 *
	 * @param receiveFds whether the connection accepts descriptors
	 * @return the connection, or {@code null} when none is waiting
	 * @throws IOException when {@code accept(2)} fails (EMFILE, say)
	 */
	@Nullable Transport accept(boolean receiveFds) throws IOException;
}
