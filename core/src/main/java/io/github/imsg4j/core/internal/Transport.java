package io.github.imsg4j.core.internal;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;

import io.github.imsg4j.core.PeerCredentials;
import org.jspecify.annotations.Nullable;

/**
 * The little the core needs of a connected UNIX stream socket, so that the socket library stays behind its
 * {@link SocketLayer}. All calls are non-blocking; the transport is registered with an event loop of the same
 * layer.
 */
public interface Transport extends Closeable {

	/**
	 * One {@code recvmsg}: reads into {@code dst} from its position.
	 *
	 * @param dst where the bytes go; a direct buffer avoids a copy
	 * @return bytes read, 0 if none are available now, -1 at end of stream
	 * @throws IOException on a socket error, including truncated control data ({@code MSG_CTRUNC})
	 */
	int read(ByteBuffer dst) throws IOException;

	/**
	 * The descriptors that arrived with the last {@link #read}, now owned by the caller, but possibly still
	 * registered with the socket library, which may close them when the socket closes: the caller closes them
	 * with {@link io.github.imsg4j.core.Fds#close}, or {@linkplain #detach detaches} those that must outlive the
	 * socket, before closing it.
	 *
	 * @return the descriptors in arrival order; empty when none came
	 */
	FileDescriptor[] takeReceivedFds();

	/**
	 * Makes a received descriptor independent of the socket, so that closing the socket leaves it open. Costs a
	 * {@code dup} and a {@code close} with junixsocket, so the channel does it only for descriptors the
	 * application takes, or that are still held when the socket closes.
	 *
	 * @param received a descriptor from {@link #takeReceivedFds}; consumed (closed) whatever happens
	 * @return an equivalent descriptor the caller owns
	 * @throws IOException when no descriptor is left for the copy (EMFILE); {@code received} is closed then too
	 */
	FileDescriptor detach(FileDescriptor received) throws IOException;

	/**
	 * One {@code sendmsg} of the bytes between each buffer's position and limit, in order (a gathering write,
	 * where the layer can; else as many as one buffer holds), advancing the buffers' positions past what the
	 * socket took.
	 *
	 * @param srcs the buffers; direct buffers avoid a copy
	 * @param count how many of {@code srcs}, from the first, to write
	 * @param fd a descriptor to send with this write's first byte, or {@code null}
	 * @return bytes written; 0 means none, and then {@code fd} was not sent either
	 * @throws IOException on a socket error
	 */
	long write(ByteBuffer[] srcs, int count, @Nullable FileDescriptor fd) throws IOException;

	/**
	 * The peer's credentials, read from the kernel once when the transport was made.
	 *
	 * @return pid, uid, gid and groups of the peer
	 */
	PeerCredentials peerCredentials();

	/**
	 * Whether a thread other than the event loop may read this transport, waiting with {@link #awaitReadable}:
	 * what {@code ChannelOptions.callerReads} needs.
	 *
	 * @return {@code true} where {@link #awaitReadable} and {@link #shutdownInput} work
	 */
	default boolean supportsCallerReads() {
		return false;
	}

	/**
	 * Blocks until the socket has something to read (bytes, end of stream, an error), or {@code nanos} pass.
	 *
	 * @param nanos the longest wait
	 * @return {@code false} when the time ran out
	 * @throws IOException when the wait fails
	 */
	default boolean awaitReadable(long nanos) throws IOException {
		throw new UnsupportedOperationException("caller reads");
	}

	/**
	 * Shuts the read side down ({@code shutdown(SHUT_RD)}), which wakes a thread in {@link #awaitReadable}: the
	 * socket is about to close, and it must not be closed under that thread.
	 */
	default void shutdownInput() {
	}
}
