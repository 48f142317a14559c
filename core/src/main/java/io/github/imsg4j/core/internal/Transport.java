package io.github.imsg4j.core.internal;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;

import io.github.imsg4j.core.PeerCredentials;
import org.jspecify.annotations.Nullable;

/**
 * The little the core needs of a connected UNIX stream socket, so that the socket library (junixsocket today)
 * stays behind one class. All calls are non-blocking once the transport is registered with an event loop.
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
	 * The descriptors that arrived with the last {@link #read}, now owned by the caller. Each is detached from
	 * the socket library, so that closing the socket never closes a descriptor the application took.
	 *
	 * @return the descriptors in arrival order; empty when none came
	 */
	FileDescriptor[] takeReceivedFds();

	/**
	 * One {@code sendmsg} of the bytes between {@code src}'s position and limit.
	 *
	 * @param src the bytes; a direct buffer avoids a copy
	 * @param fd a descriptor to send with this write's first byte, or {@code null}
	 * @return bytes written; 0 means none, and then {@code fd} was not sent either
	 * @throws IOException on a socket error
	 */
	int write(ByteBuffer src, @Nullable FileDescriptor fd) throws IOException;

	/**
	 * The peer's credentials, read from the kernel once when the transport was made.
	 *
	 * @return pid, uid, gid and groups of the peer
	 */
	PeerCredentials peerCredentials();

	/**
	 * The channel to register with this transport's kind of selector.
	 *
	 * @return the selectable channel
	 */
	SelectableChannel selectable();
}
