package io.github.imsg4j.core.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

import io.github.imsg4j.core.PeerCredentials;
import org.jspecify.annotations.Nullable;

/**
 * The little the core needs of a connected UNIX stream socket, so that the socket library stays behind its
 * {@link SocketLayer}. All calls are non-blocking but {@link #awaitReadable}; the transport is registered with an
 * event loop of the same layer.
 *
 * <p>The transport owns the socket's descriptor number and its lifetime ({@link DescriptorLifetime}): every call
 * on the number takes a use of it, {@link #close()} may be called from any thread at any time, and the number
 * goes back to the kernel only once the last call in progress has returned ({@link #released()}). A call that
 * begins after {@link #close()} throws {@link java.nio.channels.ClosedChannelException} and touches nothing.
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
	 * The descriptors that arrived with the last {@link #read}, each now held by the caller until it is taken or
	 * closed through its {@link HeldFd}; none of them is closed by anyone else, the socket's close included (a
	 * layer whose received descriptors die with the socket makes the held ones independent first).
	 *
	 * @return the descriptors in arrival order; empty when none came, or once the transport is closing (it
	 *         closes those itself)
	 */
	HeldFd[] takeReceivedFds();

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
	long write(ByteBuffer[] srcs, int count, @Nullable OutgoingFd fd) throws IOException;

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
	 * @return {@code true} where {@link #awaitReadable} works, and {@link #close()} wakes a thread waiting in it
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
	 * Marks the socket closing, from any thread: no call begins after it, a thread in {@link #awaitReadable} is
	 * woken, and the number is released once no call is in progress. Idempotent; never throws.
	 */
	@Override
	void close();

	/**
	 * @return completes once the descriptor number (and every received descriptor not taken) went back to the
	 *         kernel
	 */
	java.util.concurrent.CompletableFuture<Void> released();
}
