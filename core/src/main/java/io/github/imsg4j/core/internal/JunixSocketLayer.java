package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.Fds;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.ConnectionRefusedSocketException;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * {@link SocketLayer} over junixsocket (JNI): the transport on Java 17-21, and wherever the system property
 * {@value SocketLayer#PROPERTY} is {@code junixsocket}. Every junixsocket type the core uses is behind this
 * class, {@link JunixTransport}, {@link SelectorPoller} and {@link JunixInternals}.
 */
final class JunixSocketLayer implements SocketLayer {

	private static final long OWN_PID = ProcessHandle.current().pid();

	private static final AtomicLong PAIRS = new AtomicLong();

	@Override
	public String name() {
		return "junixsocket";
	}

	@Override
	public Poller openPoller() throws IOException {
		return new SelectorPoller();
	}

	@Override
	public Transport connect(Path path, boolean receiveFds) throws IOException {
		AFUNIXSocketChannel socket = AFUNIXSocketChannel.open();
		try {
			socket.connect(AFUNIXSocketAddress.of(path));
			return new JunixTransport(socket, receiveFds);
		}
		catch (ConnectionRefusedSocketException ex) {
			closeQuietly(socket);
			java.net.ConnectException refused = new java.net.ConnectException(ex.getMessage());
			refused.initCause(ex);
			throw refused;
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(socket);
			throw ex;
		}
	}

	@Override
	public Transport[] pair(boolean receiveFds) throws IOException {
		AFUNIXSocketChannel one = null;
		AFUNIXSocketChannel two = null;
		Transport first = null;
		try {
			// Not openSocketChannelPair(): junixsocket 2.11.0 leaks the two sockets it opens before socketpair(2)
			// replaces them. A connection through a private abstract-namespace listener gives the same pair.
			AFUNIXSocketAddress rendezvous = AFUNIXSocketAddress.inAbstractNamespace(
					"imsg4j-pair-" + OWN_PID + "-" + PAIRS.incrementAndGet() + "-" + System.nanoTime());
			try (AFUNIXServerSocketChannel listener = AFUNIXServerSocketChannel.open()) {
				listener.bind(rendezvous, 1);
				one = AFUNIXSocketChannel.open(rendezvous);
				// Any local process can see an abstract name and race to connect first: take only a connection
				// from this process, closing any other unread.
				two = listener.accept();
				for (int tries = 0; two.getPeerCredentials().getPid() != OWN_PID; tries++) {
					closeQuietly(two);
					two = null;
					if (tries == 3) {
						throw new IOException("other processes keep connecting to the private rendezvous name");
					}
					two = listener.accept();
				}
			}
			first = new JunixTransport(one, receiveFds);
			one = null;
			Transport second = new JunixTransport(two, receiveFds);
			return new Transport[] { first, second };
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(first);
			closeQuietly(one);
			closeQuietly(two);
			throw ex;
		}
	}

	@Override
	public Transport adopt(int fd, boolean receiveFds) throws IOException {
		AFUNIXSocketChannel socket = FileDescriptorCast.unsafeUsing(fd).as(AFUNIXSocketChannel.class);
		return new JunixTransport(socket, receiveFds, socket.getFileDescriptor());
	}

	@Override
	public Transport adopt(FileDescriptor fd, boolean receiveFds) throws IOException {
		AFUNIXSocketChannel socket = FileDescriptorCast.using(fd).as(AFUNIXSocketChannel.class);
		return new JunixTransport(socket, receiveFds, socket.getFileDescriptor());
	}

	@Override
	public ListeningSocket openListening() throws IOException {
		AFUNIXServerSocketChannel socket = AFUNIXServerSocketChannel.open();
		// junixsocket would delete the path on close even if another server has since replaced it; we check first.
		socket.socket().setDeleteOnClose(false);
		return new Listening(socket, null);
	}

	@Override
	public ListeningSocket adoptListening(int fd) throws IOException {
		AFUNIXServerSocketChannel socket = FileDescriptorCast.unsafeUsing(fd).as(AFUNIXServerSocketChannel.class);
		socket.socket().setDeleteOnClose(false);
		socket.configureBlocking(false);
		return new Listening(socket, socket.getFileDescriptor());
	}

	@Override
	public boolean isListening(Path path) throws IOException {
		try (AFUNIXSocketChannel probe = AFUNIXSocketChannel.open()) {
			probe.connect(AFUNIXSocketAddress.of(path));
			return true;
		}
		catch (ConnectionRefusedSocketException ex) {
			return false;
		}
	}

	@Override
	public OutgoingFd openReadOnly(Path path) throws IOException {
		// FileInputStream's cleaner closes the descriptor if the object is dropped unclosed; harmless, as closing
		// it through the stream (Fds.close) unregisters that cleaner.
		return OutgoingFd.ofObject(new java.io.FileInputStream(path.toFile()).getFD(), true, true);
	}

	@Override
	public void closeOwn(FileDescriptor fd) {
		// Through the JDK, which also tells junixsocket's socket, where a received descriptor is still registered.
		Fds.closeQuietly(fd);
	}

	@Override
	public void closeNumber(int fd) {
		// This layer holds descriptors as objects; a number reaches it only from code that made one itself.
		try {
			Fds.closeQuietly(object(fd));
		}
		catch (IOException ex) {
			// not a descriptor: nothing to close
		}
	}

	@Override
	public int number(FileDescriptor fd) throws IOException {
		return FileDescriptorCast.using(fd).as(Integer.class);
	}

	@Override
	public FileDescriptor object(int fd) throws IOException {
		return FileDescriptorCast.unsafeUsing(fd).as(FileDescriptor.class);
	}

	static void closeQuietly(@Nullable AutoCloseable c) {
		if (c != null) {
			try {
				c.close();
			}
			catch (Exception ex) {
				// already failing
			}
		}
	}

	/** A junixsocket server channel. */
	static final class Listening implements ListeningSocket {

		private final AFUNIXServerSocketChannel channel;

		/** A descriptor the channel was cast from, which junixsocket never closes itself; closed with the channel. */
		private final @Nullable FileDescriptor castFrom;

		Listening(AFUNIXServerSocketChannel channel, @Nullable FileDescriptor castFrom) {
			this.channel = channel;
			this.castFrom = castFrom;
		}

		AFUNIXServerSocketChannel channel() {
			return this.channel;
		}

		@Override
		public void bind(Path path, int backlog) throws IOException {
			this.channel.bind(AFUNIXSocketAddress.of(path), backlog);
			this.channel.configureBlocking(false);
		}

		@Override
		public boolean needsBoundPath() {
			return !JunixInternals.ignoreBoundPath(this.channel);
		}

		@Override
		public boolean bindsThroughDescriptors() {
			return JunixInternals.canIgnoreBoundPath();
		}

		@Override
		public @Nullable Transport accept(boolean receiveFds) throws IOException {
			AFUNIXSocketChannel client = this.channel.accept();
			if (client == null) {
				return null;
			}
			try {
				return new JunixTransport(client, receiveFds);
			}
			catch (IOException | RuntimeException ex) {
				closeQuietly(client);
				throw ex;
			}
		}

		@Override
		public void close() throws IOException {
			try {
				this.channel.close();
			}
			finally {
				if (this.castFrom != null) {
					Fds.closeQuietly(this.castFrom);
				}
			}
		}
	}
}
