package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.PeerCredentials;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * {@link Transport} over a junixsocket {@link AFUNIXSocketChannel}.
 *
 * <p>Two of junixsocket's behaviours shape this class. Received descriptors stay registered with the socket,
 * which closes every one still open when the socket closes: each is therefore duplicated and the original
 * closed at once, so that ownership can really pass to the application. And a descriptor set for sending
 * rides only on the next write syscall, even one that writes nothing: it is set right before each write.
 */
public final class JunixTransport implements Transport {

	private static final FileDescriptor[] NONE = new FileDescriptor[0];

	private static final FileDescriptor[] NO_OUTBOUND = new FileDescriptor[0];

	private final AFUNIXSocketChannel channel;

	/** A second channel object on the same descriptor, for the selector only (see the constructor). */
	private final AFUNIXSocketChannel pollHandle;

	private final PeerCredentials credentials;

	/**
	 * Wraps a connected channel, reads its peer's credentials, and makes it non-blocking.
	 *
	 * @param channel a connected channel, owned by this transport from now on
	 * @param receiveFds whether to accept descriptors; when off, the kernel discards any that arrive
	 * @throws IOException when the credentials cannot be read or the channel configured
	 */
	public JunixTransport(AFUNIXSocketChannel channel, boolean receiveFds) throws IOException {
		this.channel = channel;
		this.credentials = toCredentials(channel.getPeerCredentials());
		// Without a control buffer recv(2) is used and the kernel drops descriptors: imsgbuf_allow_fdpass off.
		channel.setAncillaryReceiveBufferSize(receiveFds ? 256 : 0);
		channel.configureBlocking(false);
		// junixsocket's selector closes a registered channel the moment poll(2) reports POLLHUP, before anyone reads
		// what the peer sent last. So the selector gets a second channel object on the same descriptor: closing a
		// channel made by FileDescriptorCast.using() only shuts the socket down, it does not close the descriptor,
		// and a shut-down AF_UNIX socket still reads everything queued (POLLHUP means the peer is gone both ways).
		// An earlier version gave the selector a dup(2) instead, which cost every connection a second descriptor.
		this.pollHandle = FileDescriptorCast.using(channel.getFileDescriptor()).as(AFUNIXSocketChannel.class);
		this.pollHandle.configureBlocking(false);
	}

	private static PeerCredentials toCredentials(AFUNIXSocketCredentials creds) {
		long[] gids = creds.getGids();
		List<Long> groups = new ArrayList<>();
		long gid = creds.getGid();
		groups.add(gid);
		if (gids != null) {
			for (long g : gids) {
				if (g != gid) {
					groups.add(g);
				}
			}
		}
		return new PeerCredentials(creds.getPid(), creds.getUid(), gid, groups);
	}

	@Override
	public int read(ByteBuffer dst) throws IOException {
		return this.channel.read(dst);
	}

	@Override
	public FileDescriptor[] takeReceivedFds() {
		FileDescriptor[] received;
		try {
			received = this.channel.getReceivedFileDescriptors();
		}
		catch (IOException ex) {
			// Left with the socket, which closes them when it closes.
			return NONE;
		}
		if (received == null || received.length == 0) {
			return NONE;
		}
		FileDescriptor[] owned = new FileDescriptor[received.length];
		for (int i = 0; i < received.length; i++) {
			owned[i] = detach(received[i]);
		}
		return owned;
	}

	/** Duplicates a received descriptor and closes the original, which junixsocket would close with the socket. */
	private static FileDescriptor detach(FileDescriptor received) {
		try {
			return FileDescriptorCast.duplicating(received).as(FileDescriptor.class);
		}
		catch (IOException ex) {
			// EMFILE and the like: the descriptor cannot be kept; it is closed below and the message gets none.
			return new FileDescriptor();
		}
		finally {
			Fds.closeQuietly(received);
		}
	}

	@Override
	public int write(ByteBuffer src, @Nullable FileDescriptor fd) throws IOException {
		if (fd != null) {
			this.channel.setOutboundFileDescriptors(fd);
		}
		try {
			return this.channel.write(src);
		}
		finally {
			if (fd != null) {
				// junixsocket clears them before sendmsg; clear again in case the write never reached it.
				this.channel.setOutboundFileDescriptors(NO_OUTBOUND);
			}
		}
	}

	@Override
	public PeerCredentials peerCredentials() {
		return this.credentials;
	}

	@Override
	public SelectableChannel selectable() {
		return this.pollHandle;
	}

	@Override
	public void close() throws IOException {
		try {
			this.pollHandle.close();
		}
		finally {
			this.channel.close();
		}
	}
}
