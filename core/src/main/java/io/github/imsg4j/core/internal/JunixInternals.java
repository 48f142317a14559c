package io.github.imsg4j.core.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * Two things junixsocket 2.11.0 does not let us configure, reached through its non-public members: looked up
 * once, and reported (not fatal) when an upgrade moves them. {@code JunixInternalsTest} fails on such an
 * upgrade, so that nobody ships one unknowingly.
 *
 * <ul>
 * <li><b>The ancillary receive buffer.</b> {@code setAncillaryReceiveBufferSize} clamps any size to 256 bytes,
 * room for about 60 descriptors, while Linux lets a peer send {@value #SCM_MAX_FD} in one {@code sendmsg}. The
 * kernel installs as many as fit, sets {@code MSG_CTRUNC}, and junixsocket then fails the read without handing
 * the installed descriptors to Java: each such message leaked 60 descriptors for good. With
 * {@value #CONTROL_BUFFER} bytes ({@code CMSG_SPACE(253 * 4)}) every descriptor of one {@code sendmsg}
 * arrives and is ours to close.</li>
 * <li><b>The bound-path check on accept.</b> junixsocket compares the bound path's inode on every accept and
 * stops the server when it differs. A server bound in a private directory and then linked into place would
 * have to keep that directory for its whole life (and leave it behind after a crash); with the check off the
 * private name is removed right after the link.</li>
 * </ul>
 *
 * <p>Reflection works while junixsocket is on the class path (the unnamed module). On the module path its
 * packages would have to be opened to imsg4j ({@code --add-opens}); without that both fall back as
 * documented in docs/reliability.md.
 */
public final class JunixInternals {

	private static final System.Logger LOG = System.getLogger(JunixInternals.class.getName());

	/** Linux's {@code SCM_MAX_FD}: the most descriptors one {@code sendmsg} may carry. */
	public static final int SCM_MAX_FD = 253;

	/** {@code CMSG_SPACE(SCM_MAX_FD * sizeof(int))} on 64-bit Linux: 16-byte header plus 1012 bytes, aligned to 8. */
	public static final int CONTROL_BUFFER = 16 + ((SCM_MAX_FD * 4 + 7) & ~7);

	private static final @Nullable MethodHandle SET_ANCILLARY_BUFFER;

	private static final @Nullable MethodHandle SERVER_INODE;

	private static final @Nullable MethodHandle GET_FD;

	private static final @Nullable MethodHandle INIT_FD;

	static {
		SET_ANCILLARY_BUFFER = ancillaryBufferSetter();
		SERVER_INODE = serverInodeGetter();
		GET_FD = nativeFdAccessor("getFD", java.io.FileDescriptor.class);
		INIT_FD = nativeFdAccessor("initFD", java.io.FileDescriptor.class, int.class);
	}

	private JunixInternals() {
	}

	/** channel → getAFCore() → AFCore.ancillaryDataSupport → setAncillaryReceiveBufferSize0(int). */
	private static @Nullable MethodHandle ancillaryBufferSetter() {
		try {
			Method core = Class.forName("org.newsclub.net.unix.AFSocketChannel").getDeclaredMethod("getAFCore");
			core.setAccessible(true);
			Field support = Class.forName("org.newsclub.net.unix.AFCore").getDeclaredField("ancillaryDataSupport");
			support.setAccessible(true);
			Method setSize = support.getType().getDeclaredMethod("setAncillaryReceiveBufferSize0", int.class);
			setSize.setAccessible(true);
			MethodHandles.Lookup lookup = MethodHandles.lookup();
			MethodHandle chain = MethodHandles.filterArguments(lookup.unreflect(setSize), 0,
					lookup.unreflectGetter(support).asType(MethodType.methodType(support.getType(), Object.class)));
			chain = MethodHandles.filterArguments(chain, 0,
					lookup.unreflect(core).asType(MethodType.methodType(Object.class, AFUNIXSocketChannel.class)));
			return chain.asType(MethodType.methodType(void.class, AFUNIXSocketChannel.class, int.class));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			SafeLog.log(LOG, System.Logger.Level.WARNING, () -> "cannot size junixsocket's ancillary receive buffer for "
					+ SCM_MAX_FD + " descriptors (" + ex + "): a peer that sends more than 60 descriptors in one "
					+ "sendmsg leaks descriptors into this process; see docs/reliability.md", null);
			return null;
		}
	}

	/** server channel → socket() → AFServerSocket.getAFImpl() → getCore() → AFSocketCore.inode. */
	private static @Nullable MethodHandle serverInodeGetter() {
		try {
			Method impl = Class.forName("org.newsclub.net.unix.AFServerSocket").getDeclaredMethod("getAFImpl");
			impl.setAccessible(true);
			Method core = Class.forName("org.newsclub.net.unix.AFSocketImpl").getDeclaredMethod("getCore");
			core.setAccessible(true);
			Field inode = Class.forName("org.newsclub.net.unix.AFSocketCore").getDeclaredField("inode");
			inode.setAccessible(true);
			MethodHandles.Lookup lookup = MethodHandles.lookup();
			MethodHandle chain = lookup.unreflectGetter(inode).asType(MethodType.methodType(AtomicLong.class, Object.class));
			chain = MethodHandles.filterArguments(chain, 0,
					lookup.unreflect(core).asType(MethodType.methodType(Object.class, Object.class)));
			chain = MethodHandles.filterArguments(chain, 0,
					lookup.unreflect(impl).asType(MethodType.methodType(Object.class, Object.class)));
			return chain.asType(MethodType.methodType(AtomicLong.class, Object.class));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			SafeLog.log(LOG, System.Logger.Level.DEBUG, () -> "cannot turn off junixsocket's bound-path check (" + ex
					+ "): private socket directories stay until their servers close", null);
			return null;
		}
	}

	/**
	 * Gives a channel a control buffer for {@value #SCM_MAX_FD} descriptors.
	 *
	 * @param channel the channel, before its first read
	 * @return {@code false} when junixsocket's internals were not reachable (the 256-byte buffer stays)
	 */
	public static boolean receiveAllDescriptors(AFUNIXSocketChannel channel) {
		MethodHandle set = SET_ANCILLARY_BUFFER;
		if (set == null) {
			return false;
		}
		try {
			set.invokeExact(channel, CONTROL_BUFFER);
			return true;
		}
		catch (Throwable ex) {
			return false;
		}
	}

	/**
	 * @return whether {@link #ignoreBoundPath} can work with the junixsocket on the class path
	 */
	public static boolean canIgnoreBoundPath() {
		return SERVER_INODE != null;
	}

	/**
	 * Stops junixsocket from comparing the bound path's inode on every accept, so that the name the server was
	 * bound to may be removed once the socket is linked elsewhere.
	 *
	 * @param server a bound server channel
	 * @return {@code false} when junixsocket's internals were not reachable: the bound name must then stay
	 */
	public static boolean ignoreBoundPath(AFUNIXServerSocketChannel server) {
		MethodHandle get = SERVER_INODE;
		if (get == null) {
			return false;
		}
		try {
			AtomicLong inode = (AtomicLong) get.invokeExact((Object) server.socket());
			inode.set(0);
			return true;
		}
		catch (Throwable ex) {
			return false;
		}
	}

	/**
	 * The descriptor of a junixsocket channel or socket, for {@code OutboundFd.keepOpen}.
	 *
	 * @param open anything closeable
	 * @return its descriptor if it is junixsocket's, else {@code null}
	 * @throws java.io.IOException when it has none
	 */
	public static java.io.@Nullable FileDescriptor descriptorOf(Object open) throws java.io.IOException {
		return (open instanceof org.newsclub.net.unix.FileDescriptorAccess access) ? access.getFileDescriptor() : null;
	}

	/**
	 * A descriptor's number, through junixsocket's JNI helper: the JDK has no public way.
	 *
	 * @param fd an open descriptor
	 * @return its number
	 * @throws java.io.IOException when it is not valid
	 */
	public static int numberOf(java.io.FileDescriptor fd) throws java.io.IOException {
		MethodHandle get = GET_FD;
		if (get != null) {
			try {
				return (int) get.invokeExact(fd);
			}
			catch (java.io.IOException | RuntimeException | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new java.io.IOException(ex);
			}
		}
		return org.newsclub.net.unix.FileDescriptorCast.using(fd).as(Integer.class);
	}

	/**
	 * An object for a descriptor number, through junixsocket's JNI helper: the JDK has no public way.
	 *
	 * @param fd an open descriptor's number
	 * @return a {@code FileDescriptor} for it
	 * @throws java.io.IOException when it cannot be made
	 */
	public static java.io.FileDescriptor objectOf(int fd) throws java.io.IOException {
		MethodHandle init = INIT_FD;
		if (init != null) {
			java.io.FileDescriptor object = new java.io.FileDescriptor();
			try {
				init.invokeExact(object, fd);
			}
			catch (java.io.IOException | RuntimeException | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new java.io.IOException(ex);
			}
			return object;
		}
		return org.newsclub.net.unix.FileDescriptorCast.unsafeUsing(fd).as(java.io.FileDescriptor.class);
	}

	/**
	 * Marks a descriptor object closed ({@code -1}) without closing its number: for a caller that closes the
	 * number itself. Only with {@link #directDescriptorAccess()}.
	 *
	 * @param fd a descriptor made by {@link #objectOf}
	 */
	public static void invalidate(java.io.FileDescriptor fd) {
		MethodHandle init = INIT_FD;
		if (init == null) {
			throw new IllegalStateException("junixsocket's initFD is not reachable");
		}
		try {
			init.invokeExact(fd, -1);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * @return whether {@link #numberOf} and {@link #objectOf} take the one-JNI-call path
	 */
	public static boolean directDescriptorAccess() {
		return GET_FD != null && INIT_FD != null;
	}

	/**
	 * {@code NativeUnixSocket.getFD}/{@code initFD}: one JNI call each, where {@code FileDescriptorCast} first
	 * probes the descriptor's type with {@code fcntl} and {@code getsockname} (two system calls per descriptor).
	 */
	private static @Nullable MethodHandle nativeFdAccessor(String name, Class<?>... parameters) {
		try {
			Method m = Class.forName("org.newsclub.net.unix.NativeUnixSocket").getDeclaredMethod(name, parameters);
			m.setAccessible(true);
			return MethodHandles.lookup().unreflect(m);
		}
		catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
			SafeLog.log(LOG, System.Logger.Level.DEBUG, () -> "junixsocket's " + name + " is not reachable (" + ex
					+ "): descriptor numbers go through FileDescriptorCast", null);
			return null;
		}
	}
}
