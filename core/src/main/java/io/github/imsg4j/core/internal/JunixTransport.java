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
 * which closes every one still open when the socket closes: {@link #detach} duplicates one and closes the
 * original, so that ownership can really pass to the application (closing one through
 * {@link Fds#close} also unregisters it). And a descriptor set for sending
 * rides only on the next write syscall, even one that writes nothing: it is set right before each write.
 */
final class JunixTransport implements Transport {

	private static final HeldFd[] NONE = new HeldFd[0];

	private static final FileDescriptor[] NO_OUTBOUND = new FileDescriptor[0];

	private final AFUNIXSocketChannel channel;

	private final PeerCredentials credentials;

	/** A descriptor the channel was cast from, which junixsocket never closes itself; closed with the channel. */
	private final @Nullable FileDescriptor castFrom;

	/**
	 * When the channel's descriptor goes back to the kernel: junixsocket reads the number out of its
	 * {@code FileDescriptor} for every call, so a close under another thread's write could send that write to
	 * whatever reuses the number.
	 */
	private final DescriptorLifetime lifetime = new DescriptorLifetime(this::release);

	/**
	 * Received descriptors handed out and still registered with the socket (neither taken, closed nor untied):
	 * the release unties them before the channel closes. Guarded by its own monitor, never held while a
	 * descriptor's monitor is taken.
	 */
	private final java.util.Set<JunixHeldFd> tied = new java.util.HashSet<>();

	/**
	 * Wraps a connected channel, reads its peer's credentials, and makes it non-blocking.
	 *
	 * @param channel a connected channel, owned by this transport from now on
	 * @param receiveFds whether to accept descriptors; when off, the kernel discards any that arrive
	 * @throws IOException when the credentials cannot be read or the channel configured
	 */
	JunixTransport(AFUNIXSocketChannel channel, boolean receiveFds) throws IOException {
		this(channel, receiveFds, null);
	}

	/**
	 * Wraps a channel cast from a descriptor this process was given ({@code FileDescriptorCast}): junixsocket's
	 * cast channels leave their descriptor open when they close, so this transport closes it after them.
	 *
	 * @param channel a connected channel, owned by this transport from now on
	 * @param receiveFds whether to accept descriptors
	 * @param castFrom the descriptor the channel was cast from, or {@code null} for a channel junixsocket made
	 * @throws IOException when the credentials cannot be read or the channel configured
	 */
	JunixTransport(AFUNIXSocketChannel channel, boolean receiveFds, @Nullable FileDescriptor castFrom)
			throws IOException {
		this.channel = channel;
		this.castFrom = castFrom;
		this.credentials = toCredentials(channel.getPeerCredentials());
		// Without a control buffer recv(2) is used and the kernel drops descriptors: imsgbuf_allow_fdpass off. With
		// one, it must hold every descriptor one sendmsg can carry, or the kernel installs some and truncates.
		if (receiveFds && !JunixInternals.receiveAllDescriptors(channel)) {
			channel.setAncillaryReceiveBufferSize(256);
		}
		channel.configureBlocking(false);
		// The channel itself is registered with the selector. On POLLHUP junixsocket's selector marks the key invalid
		// and drops it from its poll set at the next select; the event loop sees the invalid key in the same turn and
		// the channel reads everything still queued before it reports the end (FramingTest's hang-up tests). Earlier
		// versions registered a dup(2) or a second channel object on the descriptor, fearing that the selector would
		// close the channel first: it never did in 2.11.0, and each cost every connection a descriptor or ~1.5 KiB.
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
		this.lifetime.begin();
		try {
			return this.channel.read(dst);
		}
		finally {
			this.lifetime.end();
		}
	}

	@Override
	public HeldFd[] takeReceivedFds() {
		FileDescriptor[] received;
		try {
			this.lifetime.begin();
		}
		catch (java.nio.channels.ClosedChannelException ex) {
			return NONE; // closing: the socket closes them
		}
		try {
			received = this.channel.getReceivedFileDescriptors();
		}
		catch (IOException ex) {
			// Left with the socket, which closes them when it closes.
			return NONE;
		}
		finally {
			this.lifetime.end();
		}
		if (received == null || received.length == 0) {
			return NONE;
		}
		HeldFd[] held = new HeldFd[received.length];
		int n = 0;
		synchronized (this.tied) {
			for (FileDescriptor fd : received) {
				if (fd != null && fd.valid()) {
					JunixHeldFd h = new JunixHeldFd(this, fd);
					this.tied.add(h);
					held[n++] = h;
				}
			}
		}
		return (n == held.length) ? held : java.util.Arrays.copyOf(held, n);
	}

	/** A received descriptor no longer depends on the socket: taken, closed or untied. */
	void forget(JunixHeldFd fd) {
		synchronized (this.tied) {
			this.tied.remove(fd);
		}
	}

	/**
	 * Duplicates a received descriptor and closes the original, which junixsocket would close with the socket.
	 *
	 * @param received a descriptor from {@link #takeReceivedFds}; consumed (closed) whatever happens
	 * @return an equivalent descriptor the caller owns
	 * @throws IOException when no descriptor is left for the copy (EMFILE); {@code received} is closed then too
	 */
	FileDescriptor detach(FileDescriptor received) throws IOException {
		try {
			return FileDescriptorCast.duplicating(received).as(FileDescriptor.class);
		}
		finally {
			Fds.closeQuietly(received);
		}
	}

	/**
	 * One buffer per write: junixsocket has no gathering write (its {@code write(ByteBuffer[], int, int)} sends
	 * the first buffer only).
	 */
	@Override
	public long write(ByteBuffer[] srcs, int count, @Nullable OutgoingFd fd) throws IOException {
		ByteBuffer src = srcs[0];
		this.lifetime.begin();
		try {
			if (fd != null) {
				this.channel.setOutboundFileDescriptors(fd.object());
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
		finally {
			this.lifetime.end();
		}
	}

	@Override
	public PeerCredentials peerCredentials() {
		return this.credentials;
	}

	SelectableChannel selectable() {
		return this.channel;
	}

	/** No thread blocks in junixsocket's calls here (no caller reads): nothing to wake before the release. */
	@Override
	public void close() {
		this.lifetime.close(() -> {
		});
	}

	@Override
	public java.util.concurrent.CompletableFuture<Void> released() {
		return this.lifetime.released();
	}

	/**
	 * Once no call is in progress after {@link #close()}: first the received descriptors that messages still hold
	 * become independent of the socket (junixsocket closes those registered with it), then the channel closes.
	 */
	private void release() {
		JunixHeldFd[] holding;
		synchronized (this.tied) {
			holding = this.tied.toArray(new JunixHeldFd[0]);
		}
		for (JunixHeldFd fd : holding) {
			fd.untieFromSocket();
		}
		try {
			this.channel.close();
		}
		catch (IOException ex) {
			// the descriptor is gone either way (close(2) frees the number even when it reports an error)
		}
		finally {
			if (this.castFrom != null) {
				Fds.closeQuietly(this.castFrom);
			}
		}
	}
}
