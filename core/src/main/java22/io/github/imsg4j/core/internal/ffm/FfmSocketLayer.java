package io.github.imsg4j.core.internal.ffm;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.internal.JunixInternals;
import io.github.imsg4j.core.internal.ListeningSocket;
import io.github.imsg4j.core.internal.OutgoingFd;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.Transport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The transport of our own on the foreign-function API (Java 22+): sockets made and used with the system
 * calls themselves ({@link Posix}), {@code epoll} for readiness ({@link EpollPoller}). See docs/architecture.md
 * for what each call costs and why it is the default where it exists.
 *
 * <p>The JDK cannot turn a descriptor number into a {@link FileDescriptor} (nor read one's number) without
 * {@code --add-opens java.base/java.io}; the one place this transport needs that, handing a received descriptor
 * to the application as an object, goes through junixsocket's JNI helper, which is on the class path anyway.
 */
public final class FfmSocketLayer implements SocketLayer {

	/**
	 * Links every downcall now, so that a JDK without native access for this code fails here (and the core falls
	 * back to junixsocket) rather than on the first connection.
	 */
	public FfmSocketLayer() {
		try {
			Class.forName(Posix.class.getName(), true, Posix.class.getClassLoader());
			new EpollPoller().close();
		}
		catch (ClassNotFoundException | IOException ex) {
			throw new IllegalStateException("the FFM transport cannot start: " + ex, ex);
		}
	}

	@Override
	public String name() {
		return "ffm";
	}

	@Override
	public Poller openPoller() throws IOException {
		return new EpollPoller();
	}

	@Override
	public Transport connect(Path path, boolean receiveFds) throws IOException {
		int fd = socket(0);
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment addr = Posix.sockaddr(arena, path);
			int rc;
			do {
				rc = (int) Posix.CONNECT.invokeExact(state, fd, addr, (int) Posix.SOCKADDR_UN_SIZE);
			}
			while (rc != 0 && Posix.errno(state) == Posix.EINTR);
			if (rc != 0) {
				throw Posix.failure("connect " + path, Posix.errno(state));
			}
			nonBlocking(fd);
			return new FfmTransport(fd, receiveFds, null);
		}
		catch (Throwable ex) {
			closeFd(fd);
			throw rethrow(ex);
		}
	}

	@Override
	public Transport[] pair(boolean receiveFds) throws IOException {
		int one;
		int two;
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment fds = arena.allocate(JAVA_INT, 2);
			int rc = (int) Posix.SOCKETPAIR.invokeExact(state, Posix.AF_UNIX,
					Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC | Posix.SOCK_NONBLOCK, 0, fds);
			if (rc != 0) {
				throw Posix.failure("socketpair", Posix.errno(state));
			}
			one = fds.getAtIndex(JAVA_INT, 0);
			two = fds.getAtIndex(JAVA_INT, 1);
		}
		catch (Throwable ex) {
			throw rethrow(ex);
		}
		try {
			return new Transport[] { new FfmTransport(one, receiveFds, null), new FfmTransport(two, receiveFds, null) };
		}
		catch (IOException | RuntimeException ex) {
			closeFd(one);
			closeFd(two);
			throw ex;
		}
	}

	@Override
	public Transport adopt(int fd, boolean receiveFds) throws IOException {
		nonBlocking(fd);
		return new FfmTransport(fd, receiveFds, null);
	}

	@Override
	public Transport adopt(FileDescriptor fd, boolean receiveFds) throws IOException {
		int n = numberOf(fd);
		nonBlocking(n);
		return new FfmTransport(n, receiveFds, fd);
	}

	@Override
	public ListeningSocket openListening() throws IOException {
		return new FfmListening(socket(Posix.SOCK_NONBLOCK), null);
	}

	@Override
	public ListeningSocket adoptListening(int fd) throws IOException {
		nonBlocking(fd);
		return new FfmListening(fd, null);
	}

	@Override
	public boolean isListening(Path path) throws IOException {
		int fd = socket(0);
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			int rc = (int) Posix.CONNECT.invokeExact(state, fd, Posix.sockaddr(arena, path), (int) Posix.SOCKADDR_UN_SIZE);
			if (rc == 0) {
				return true;
			}
			int errno = Posix.errno(state);
			if (errno == Posix.ECONNREFUSED) {
				return false;
			}
			throw Posix.failure("connect " + path, errno);
		}
		catch (Throwable ex) {
			throw rethrow(ex);
		}
		finally {
			closeFd(fd);
		}
	}

	@Override
	public OutgoingFd openReadOnly(Path path) throws IOException {
		byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
		for (byte b : bytes) {
			if (b == 0) {
				throw new IOException("path contains a NUL byte: " + path);
			}
		}
		Scratch s = Scratch.get();
		MemorySegment name = s.bounce(bytes.length + 1L);
		MemorySegment.copy(bytes, 0, name, JAVA_BYTE, 0, bytes.length);
		name.set(JAVA_BYTE, bytes.length, (byte) 0);
		int fd;
		try {
			fd = (int) Posix.OPEN.invokeExact(s.state, name, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
		}
		catch (Throwable ex) {
			throw rethrow(ex);
		}
		if (fd < 0) {
			throw Posix.failure("open " + path, Posix.errno(s.state));
		}
		return OutgoingFd.ofNumber(fd);
	}

	@Override
	public void closeOwn(FileDescriptor fd) {
		if (!JunixInternals.directDescriptorAccess()) {
			Fds.closeQuietly(fd); // objects made by FileDescriptorCast: let the JDK close them
			return;
		}
		int n;
		try {
			n = numberOf(fd);
		}
		catch (IOException ex) {
			return;
		}
		if (n < 0) {
			return;
		}
		// The object first, so that nothing closes the number twice; our objects have no cleaner (objectOf).
		JunixInternals.invalidate(fd);
		closeFd(n);
	}

	@Override
	public void closeNumber(int fd) {
		closeFd(fd);
	}

	@Override
	public int number(FileDescriptor fd) throws IOException {
		return numberOf(fd);
	}

	@Override
	public FileDescriptor object(int fd) throws IOException {
		return objectOf(fd);
	}

	static int numberOf(FileDescriptor fd) throws IOException {
		return JunixInternals.numberOf(fd);
	}

	static FileDescriptor objectOf(int fd) throws IOException {
		return JunixInternals.objectOf(fd);
	}

	/** {@code close(2)}, errors ignored: the descriptor is gone either way (Linux frees it even on EINTR). */
	static void closeFd(int fd) {
		Scratch s = Scratch.get();
		try {
			int ignored = (int) Posix.CLOSE.invokeExact(s.state, fd);
		}
		catch (Throwable ex) {
			// nothing better to do
		}
	}

	private static int socket(int flags) throws IOException {
		Scratch s = Scratch.get();
		int fd;
		try {
			fd = (int) Posix.SOCKET.invokeExact(s.state, Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC | flags, 0);
		}
		catch (Throwable ex) {
			throw rethrow(ex);
		}
		if (fd < 0) {
			throw Posix.failure("socket", Posix.errno(s.state));
		}
		return fd;
	}

	private static void nonBlocking(int fd) throws IOException {
		Scratch s = Scratch.get();
		try {
			int flags = (int) Posix.FCNTL.invokeExact(s.state, fd, Posix.F_GETFL, 0);
			if (flags < 0) {
				throw Posix.failure("fcntl(F_GETFL) on descriptor " + fd, Posix.errno(s.state));
			}
			if ((flags & Posix.O_NONBLOCK) == 0
					&& (int) Posix.FCNTL.invokeExact(s.state, fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK) < 0) {
				throw Posix.failure("fcntl(F_SETFL) on descriptor " + fd, Posix.errno(s.state));
			}
		}
		catch (Throwable ex) {
			throw rethrow(ex);
		}
	}

	static IOException rethrow(Throwable ex) {
		if (ex instanceof IOException io) {
			return io;
		}
		if (ex instanceof RuntimeException rt) {
			throw rt;
		}
		if (ex instanceof Error err) {
			throw err;
		}
		return new IOException(ex.toString(), ex);
	}
}
