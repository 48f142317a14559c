package io.github.imsg4j.core.internal.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The Linux system calls of the FFM transport, as glibc exports them, and the layouts of the structures they
 * take (x86-64 and AArch64, both LP64). Every call that can fail captures {@code errno} in the same downcall
 * ({@link Linker.Option#captureCallState}): read later, another call on the thread (the JVM's own) could have
 * changed it. Calls that never block on a non-blocking socket are linked {@link Linker.Option#critical critical}:
 * no thread-state transition, which is most of a downcall's cost.
 */
final class Posix {

	static final int AF_UNIX = 1;

	static final int SOCK_STREAM = 1;

	static final int SOCK_NONBLOCK = 0x800;

	static final int SOCK_CLOEXEC = 0x80000;

	static final int SOL_SOCKET = 1;

	static final int SO_PEERCRED = 17;

	static final int SO_PEERGROUPS = 59;

	static final int SCM_RIGHTS = 1;

	static final int MSG_CTRUNC = 0x8;

	static final int MSG_DONTWAIT = 0x40;

	static final int MSG_NOSIGNAL = 0x4000;

	static final int MSG_CMSG_CLOEXEC = 0x40000000;

	static final int F_DUPFD_CLOEXEC = 1030;

	static final int F_GETFL = 3;

	static final int F_SETFL = 4;

	static final int O_NONBLOCK = 0x800;

	static final int EPOLL_CLOEXEC = 0x80000;

	static final int EPOLLIN = 0x1;

	static final int EPOLLOUT = 0x4;

	static final int EPOLLERR = 0x8;

	static final int EPOLLHUP = 0x10;

	static final int EPOLL_CTL_ADD = 1;

	static final int EPOLL_CTL_DEL = 2;

	static final int EPOLL_CTL_MOD = 3;

	static final int EFD_NONBLOCK = 0x800;

	static final int EFD_CLOEXEC = 0x80000;

	static final int EINTR = 4;

	static final int EAGAIN = 11;

	static final int ERANGE = 34;

	static final int ECONNREFUSED = 111;

	/** {@code struct sockaddr_un}: {@code sa_family_t sun_family; char sun_path[108]}. */
	static final long SOCKADDR_UN_SIZE = 110;

	/** {@code struct msghdr} on LP64: name, namelen (+4), iov, iovlen, control, controllen, flags (+4). */
	static final long MSGHDR_SIZE = 56;

	static final long MSG_NAME = 0;

	static final long MSG_NAMELEN = 8;

	static final long MSG_IOV = 16;

	static final long MSG_IOVLEN = 24;

	static final long MSG_CONTROL = 32;

	static final long MSG_CONTROLLEN = 40;

	static final long MSG_FLAGS = 48;

	/** {@code struct iovec}: base, len. */
	static final long IOVEC_SIZE = 16;

	/** {@code struct cmsghdr}: {@code size_t cmsg_len; int cmsg_level; int cmsg_type;} then the data. */
	static final long CMSG_HEADER = 16;

	/** Linux's {@code SCM_MAX_FD}: the most descriptors one {@code sendmsg} may carry. */
	static final int SCM_MAX_FD = 253;

	/** {@code CMSG_SPACE(SCM_MAX_FD * sizeof(int))}: no message the kernel accepts can be truncated. */
	static final long CONTROL_SPACE = CMSG_HEADER + ((SCM_MAX_FD * 4L + 7) & ~7L);

	/** {@code struct epoll_event} is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
	static final boolean PACKED_EPOLL_EVENT = System.getProperty("os.arch", "").equals("amd64")
			|| System.getProperty("os.arch", "").equals("x86_64");

	static final long EPOLL_EVENT_SIZE = PACKED_EPOLL_EVENT ? 12 : 16;

	static final long EPOLL_EVENT_DATA = PACKED_EPOLL_EVENT ? 4 : 8;

	private static final Linker LINKER = Linker.nativeLinker();

	private static final SymbolLookup LIBC = LINKER.defaultLookup();

	private static final MemoryLayout CAPTURE = Linker.Option.captureStateLayout();

	private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

	static final MethodHandle SOCKET = call("socket", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);

	static final MethodHandle SOCKETPAIR = call("socketpair", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);

	static final MethodHandle BIND = call("bind", false, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);

	static final MethodHandle LISTEN = call("listen", false, JAVA_INT, JAVA_INT, JAVA_INT);

	static final MethodHandle ACCEPT4 = call("accept4", true, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);

	static final MethodHandle CONNECT = call("connect", false, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);

	static final MethodHandle RECVMSG = call("recvmsg", true, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);

	static final MethodHandle SENDMSG = call("sendmsg", true, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT);

	static final MethodHandle GETSOCKOPT = call("getsockopt", false, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
			ADDRESS);

	static final MethodHandle CLOSE = call("close", false, JAVA_INT, JAVA_INT);

	/** {@code long syscall(long number, ...)} with four arguments, for calls without a C library wrapper. */
	static final MethodHandle SYSCALL = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
			FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
			Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));

	/** {@code int prctl(int option, ...)} with four arguments. */
	static final MethodHandle PRCTL = LINKER.downcallHandle(LIBC.find("prctl").orElseThrow(),
			FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
			Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));

	private static final int PR_SET_NO_NEW_PRIVS = 38;

	/**
	 * Sets {@code no_new_privs} on the calling thread (and what it starts), which Landlock and seccomp require of
	 * an unprivileged caller: no setuid or file-capability program can then raise its privileges.
	 *
	 * @throws IllegalStateException when the kernel refused
	 */
	static void setNoNewPrivs(MemorySegment state) throws Throwable {
		int rc = (int) PRCTL.invokeExact(state, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
		if (rc != 0) {
			throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed: errno " + errno(state));
		}
	}

	static final MethodHandle FCNTL = LINKER.downcallHandle(LIBC.find("fcntl").orElseThrow(),
			FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
			Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));

	/** {@code open(path, flags, mode)}: variadic in C, so linked as such. */
	static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
			FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.captureCallState("errno"),
			Linker.Option.firstVariadicArg(2));

	static final int O_RDONLY = 0;

	static final int O_CLOEXEC = 0x80000;

	/** {@code poll(fds, nfds, timeout)}: blocks, so linked with the usual thread-state transition. */
	static final MethodHandle POLL = call("poll", false, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);

	/** {@code struct pollfd}: {@code int fd; short events; short revents;}. */
	static final long POLLFD_SIZE = 8;

	static final short POLLIN = 0x1;

	static final MethodHandle SHUTDOWN = call("shutdown", false, JAVA_INT, JAVA_INT, JAVA_INT);

	static final int SHUT_RD = 0;

	static final MethodHandle EPOLL_CREATE1 = call("epoll_create1", false, JAVA_INT, JAVA_INT);

	static final MethodHandle EPOLL_CTL = call("epoll_ctl", true, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);

	static final MethodHandle EPOLL_WAIT = call("epoll_wait", false, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);

	static final MethodHandle EVENTFD = call("eventfd", false, JAVA_INT, JAVA_INT, JAVA_INT);

	static final MethodHandle WRITE = call("write", true, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);

	static final MethodHandle READ = call("read", true, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);

	static final MethodHandle PIPE2 = call("pipe2", false, JAVA_INT, ADDRESS, JAVA_INT);

	private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
			FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(1024, JAVA_BYTE)), JAVA_INT));

	private Posix() {
	}

	/**
	 * A downcall whose first argument is the errno capture segment.
	 *
	 * @param critical whether the call never blocks (non-blocking socket calls): linked without a thread-state
	 *        transition
	 */
	private static MethodHandle call(String name, boolean critical, MemoryLayout result, MemoryLayout... args) {
		// the capture segment is the handle's first parameter, not part of the C signature
		FunctionDescriptor descriptor = FunctionDescriptor.of(result, args);
		MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name));
		Linker.Option capture = Linker.Option.captureCallState("errno");
		return critical ? LINKER.downcallHandle(symbol, descriptor, capture, Linker.Option.critical(false))
				: LINKER.downcallHandle(symbol, descriptor, capture);
	}

	/**
	 * @param state a capture segment of {@link #newState}
	 * @return the {@code errno} the last call through it left
	 */
	static int errno(MemorySegment state) {
		return (int) ERRNO.get(state, 0L);
	}

	/**
	 * @param arena where
	 * @return a segment for {@code errno} capture
	 */
	static MemorySegment newState(Arena arena) {
		return arena.allocate(CAPTURE);
	}

	/**
	 * @param errno an error number
	 * @return its text, as {@code strerror(3)} gives it, and the number
	 */
	static String describe(int errno) {
		try {
			MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
			return text.getString(0, StandardCharsets.UTF_8) + " (errno " + errno + ")";
		}
		catch (Throwable ex) {
			return "errno " + errno;
		}
	}

	/**
	 * @param what the call that failed
	 * @param errno its error number
	 * @return an exception saying so; {@link java.net.ConnectException} for a refused connection
	 */
	static IOException failure(String what, int errno) {
		String message = what + ": " + describe(errno);
		return (errno == ECONNREFUSED) ? new java.net.ConnectException(message) : new IOException(message);
	}

	/**
	 * Fills a {@code sockaddr_un}.
	 *
	 * @param arena where
	 * @param path the socket's path, at most 107 bytes
	 * @return the address
	 * @throws IOException when the path is too long
	 */
	static MemorySegment sockaddr(Arena arena, Path path) throws IOException {
		byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
		if (bytes.length > 107) {
			throw new IOException("socket path too long (" + bytes.length + " bytes, at most 107): " + path);
		}
		MemorySegment addr = arena.allocate(SOCKADDR_UN_SIZE, 2);
		addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
		MemorySegment.copy(bytes, 0, addr, JAVA_BYTE, 2, bytes.length);
		return addr;
	}
}
