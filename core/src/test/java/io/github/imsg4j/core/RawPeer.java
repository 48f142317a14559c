package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.github.imsg4j.core.internal.ListeningSocket;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * The far end of a real socket, written byte by byte by a test: whatever header, length, split or
 * descriptor a test needs, including ones no correct imsg sender would produce.
 */
final class RawPeer implements AutoCloseable {

	private static int seq;

	final AFUNIXSocketChannel socket;

	final ImsgChannel channel;

	private RawPeer(AFUNIXSocketChannel socket, ImsgChannel channel) {
		this.socket = socket;
		this.channel = channel;
	}

	/** A blocking raw socket connected to a new channel with {@code options} and {@code listener}. */
	static RawPeer connect(ChannelOptions options, @Nullable ImsgListener listener) throws IOException {
		// The channel's end is the socket layer's under test (FFM or junixsocket); the raw end is junixsocket's.
		java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("imsg4j-raw-" + (++seq) + "-");
		java.nio.file.Path path = dir.resolve("s");
		try (ListeningSocket server = SocketLayer.get().openListening()) {
			server.bind(path, 1);
			AFUNIXSocketChannel raw = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
			Transport accepted = server.accept(options.fdPassing());
			if (accepted == null) {
				raw.close();
				throw new IOException("the raw peer's connection was not waiting to be accepted");
			}
			ImsgChannel ch = ImsgChannel.open(accepted, options, listener, "raw");
			return new RawPeer(raw, ch);
		}
		finally {
			java.nio.file.Files.deleteIfExists(path);
			java.nio.file.Files.deleteIfExists(dir);
		}
	}

	/**
	 * A message as OpenBSD's imsg lays it out, written here field by field from its {@code struct imsg_hdr}
	 * (../shared/cpeer/{classic,current}/imsg.h), not with the production encoder: a bug shared by our encoder
	 * and decoder would otherwise pass every test. Host byte order. Classic: {@code u32 type, u16 len,
	 * u16 flags (IMSGF_HASFD = 1), u32 peerid, u32 pid}; current: {@code u32 type, u32 len (bit 31:
	 * IMSG_FD_MARK), u32 peerid, u32 pid}. {@code len} is written as given, even when it is not the true size.
	 */
	static byte[] message(WireFormat wire, int type, int len, boolean fdFlag, int peerid, int pid, byte[] payload) {
		ByteBuffer b = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.nativeOrder());
		b.putInt(type);
		if (wire == WireFormat.CLASSIC) {
			b.putShort((short) len);
			b.putShort((short) (fdFlag ? 1 : 0));
		}
		else {
			b.putInt(fdFlag ? (len | 0x80000000) : len);
		}
		b.putInt(peerid);
		b.putInt(pid);
		b.put(payload);
		return b.array();
	}

	static byte[] message(WireFormat wire, int type, boolean fdFlag, byte[] payload) {
		return message(wire, type, WireFormat.HEADER_SIZE + payload.length, fdFlag, 0, 1234, payload);
	}

	static byte[] concat(byte[]... parts) {
		int n = 0;
		for (byte[] p : parts) {
			n += p.length;
		}
		byte[] out = new byte[n];
		int at = 0;
		for (byte[] p : parts) {
			System.arraycopy(p, 0, out, at, p.length);
			at += p.length;
		}
		return out;
	}

	/** One sendmsg of {@code bytes[from, to)}, carrying {@code fds} with its first byte; closes them after, as imsg does. */
	void write(byte[] bytes, int from, int to, FileDescriptor... fds) throws IOException {
		try {
			if (fds.length > 0) {
				this.socket.setOutboundFileDescriptors(fds);
			}
			ByteBuffer b = ByteBuffer.wrap(bytes, from, to - from);
			boolean first = true;
			while (b.hasRemaining()) {
				if (!first) {
					this.socket.setOutboundFileDescriptors((FileDescriptor[]) null);
				}
				this.socket.write(b);
				first = false;
			}
		}
		finally {
			// The sender's copies are the test's to close, also when the write fails (the channel closed on an
			// earlier bad header): left to the garbage collector they made counts flaky.
			for (FileDescriptor fd : fds) {
				Fds.close(fd);
			}
		}
	}

	void write(byte[] bytes, FileDescriptor... fds) throws IOException {
		write(bytes, 0, bytes.length, fds);
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
		this.channel.abort();
	}
}
