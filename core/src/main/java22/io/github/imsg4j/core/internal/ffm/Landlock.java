package io.github.imsg4j.core.internal.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.ImsgSandbox;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Landlock ({@code landlock(7)}) through the foreign-function API: restricts the calling thread, and every process
 * it starts from then on, to an {@link ImsgSandbox}. On the kernels this project runs on (ABI 7),
 * {@code landlock_restrict_self} restricts the calling thread only, never the rest of a running JVM, and a domain
 * is inherited across {@code fork} and kept across {@code execve}: so a parent confines a child by restricting a
 * thread of its own that does nothing else, starting the child from it, and letting it end
 * ({@link PosixSpawner}). What the kernel's ABI lacks is dropped unless the sandbox is required, and
 * {@link #restrictCurrentThread} says what was granted.
 */
final class Landlock {

	// x86_64 and aarch64 share these numbers (they were added after the generic table unified them)
	private static final long SYS_CREATE_RULESET = 444;

	private static final long SYS_ADD_RULE = 445;

	private static final long SYS_RESTRICT_SELF = 446;

	private static final long CREATE_RULESET_VERSION = 1;

	private static final int RULE_PATH_BENEATH = 1;

	private static final int RULE_NET_PORT = 2;

	private static final int O_PATH = 0x200000;

	static final long EXECUTE = 1L;

	static final long WRITE_FILE = 1L << 1;

	static final long READ_FILE = 1L << 2;

	static final long READ_DIR = 1L << 3;

	/** REMOVE_DIR .. MAKE_SYM: bits 4-12. */
	private static final long MAKE_AND_REMOVE = 0x1ff0L;

	private static final long REFER = 1L << 13;

	private static final long TRUNCATE = 1L << 14;

	private static final long IOCTL_DEV = 1L << 15;

	/** The rights that apply to a file (not a directory): a rule on a file may grant only these. */
	private static final long FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV;

	private static final long NET_BIND_TCP = 1L;

	private static final long NET_CONNECT_TCP = 2L;

	private static final long SCOPE_ABSTRACT_UNIX = 1L;

	private static final long SCOPE_SIGNAL = 2L;

	private Landlock() {
	}

	/**
	 * @return the kernel's Landlock ABI version, or 0 when it has none (or it is disabled)
	 */
	static int abi() {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			long v = (long) Posix.SYSCALL.invokeExact(state, SYS_CREATE_RULESET, 0L, 0L, CREATE_RULESET_VERSION, 0L);
			return (v < 0) ? 0 : (int) v;
		}
		catch (Throwable ex) {
			return 0;
		}
	}

	/** Every file-system right the kernel's ABI knows. */
	private static long handledFs(int abi) {
		long rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | MAKE_AND_REMOVE;
		if (abi >= 2) {
			rights |= REFER;
		}
		if (abi >= 3) {
			rights |= TRUNCATE;
		}
		if (abi >= 5) {
			rights |= IOCTL_DEV;
		}
		return rights;
	}

	/**
	 * Restricts the calling thread (and what it starts from now on) to {@code sandbox}; irreversible. Sets
	 * {@code no_new_privs} first, as the kernel requires of an unprivileged caller.
	 *
	 * @return what the kernel granted, for the start-up line
	 * @throws IOException when the kernel has no Landlock, or lacks what a required sandbox asks for, or a call
	 *         fails; the thread is then left as it was if it fails before {@code landlock_restrict_self}
	 */
	static String restrictCurrentThread(ImsgSandbox sandbox) throws IOException {
		int abi = abi();
		if (abi < 1) {
			throw new IOException("this kernel has no Landlock (or it is disabled): the child cannot be confined");
		}
		List<String> dropped = new ArrayList<>();
		long handledNet = 0;
		if (abi >= 4) {
			handledNet = NET_BIND_TCP | NET_CONNECT_TCP; // every TCP port but those listed refused
		}
		else {
			dropped.add("TCP bind/connect (needs Landlock ABI 4)");
		}
		long scoped = 0;
		if (abi >= 6) {
			scoped = (sandbox.scopeSignals() ? SCOPE_SIGNAL : 0) | (sandbox.scopeAbstractUnix() ? SCOPE_ABSTRACT_UNIX : 0);
		}
		else if (sandbox.scopeSignals() || sandbox.scopeAbstractUnix()) {
			dropped.add("signal and abstract UNIX socket scopes (need Landlock ABI 6)");
		}
		if (sandbox.required() && !dropped.isEmpty()) {
			throw new IOException("the sandbox is required, but this kernel's Landlock (ABI " + abi + ") lacks "
					+ String.join(", ", dropped));
		}
		long handledFs = handledFs(abi);
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment attr = arena.allocate(24, 8);
			attr.set(JAVA_LONG, 0, handledFs);
			attr.set(JAVA_LONG, 8, handledNet);
			attr.set(JAVA_LONG, 16, scoped);
			long size = (abi >= 6) ? 24 : (abi >= 4) ? 16 : 8;
			long rs = (long) Posix.SYSCALL.invokeExact(state, SYS_CREATE_RULESET, attr.address(), size, 0L, 0L);
			if (rs < 0) {
				throw new IOException("landlock_create_ruleset failed: errno " + Posix.errno(state));
			}
			int ruleset = (int) rs;
			try {
				int paths = 0;
				paths += addPaths(arena, state, ruleset, sandbox.read(), READ_FILE | READ_DIR);
				paths += addPaths(arena, state, ruleset, sandbox.execute(), READ_FILE | READ_DIR | EXECUTE);
				paths += addPaths(arena, state, ruleset, sandbox.write(), handledFs & ~EXECUTE);
				if (handledNet != 0) {
					addPorts(arena, state, ruleset, sandbox.tcpBind(), NET_BIND_TCP);
					addPorts(arena, state, ruleset, sandbox.tcpConnect(), NET_CONNECT_TCP);
				}
				try {
					Posix.setNoNewPrivs(state);
				}
				catch (IllegalStateException ex) {
					throw new IOException(ex.getMessage(), ex);
				}
				long r = (long) Posix.SYSCALL.invokeExact(state, SYS_RESTRICT_SELF, (long) ruleset, 0L, 0L, 0L);
				if (r != 0) {
					throw new IOException("landlock_restrict_self failed: errno " + Posix.errno(state));
				}
				return "confined by Landlock ABI " + abi + ": files beneath " + paths + " paths"
						+ ((handledNet != 0) ? ", TCP bind " + sandbox.tcpBind() + " connect " + sandbox.tcpConnect()
								: "")
						+ ((scoped & SCOPE_SIGNAL) != 0 ? ", signals scoped" : "")
						+ ((scoped & SCOPE_ABSTRACT_UNIX) != 0 ? ", abstract UNIX sockets scoped" : "")
						+ (dropped.isEmpty() ? "" : "; not granted by this kernel: " + String.join(", ", dropped));
			}
			finally {
				int ignored = (int) Posix.CLOSE.invokeExact(state, ruleset);
			}
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IOException("Landlock failed: " + ex, ex);
		}
	}

	/** Adds a path-beneath rule per existing path; returns how many. */
	private static int addPaths(Arena arena, MemorySegment state, int ruleset, List<Path> paths, long rights)
			throws Throwable {
		int added = 0;
		for (Path p : paths) {
			if (!Files.exists(p)) {
				continue; // nothing there to allow
			}
			int fd = (int) Posix.OPEN.invokeExact(state, arena.allocateFrom(p.toString()), O_PATH | Posix.O_CLOEXEC, 0);
			if (fd < 0) {
				throw new IOException("cannot open " + p + " for a Landlock rule: errno " + Posix.errno(state));
			}
			try {
				// packed struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; }
				MemorySegment rule = arena.allocate(16, 8);
				rule.set(JAVA_LONG, 0, Files.isDirectory(p) ? rights : (rights & FILE_RIGHTS));
				rule.set(JAVA_INT, 8, fd);
				long rc = (long) Posix.SYSCALL.invokeExact(state, SYS_ADD_RULE, (long) ruleset, (long) RULE_PATH_BENEATH,
						rule.address(), 0L);
				if (rc != 0) {
					throw new IOException("landlock_add_rule for " + p + " failed: errno " + Posix.errno(state));
				}
				added++;
			}
			finally {
				int ignored = (int) Posix.CLOSE.invokeExact(state, fd);
			}
		}
		return added;
	}

	private static void addPorts(Arena arena, MemorySegment state, int ruleset, List<Integer> ports, long right)
			throws Throwable {
		for (int port : ports) {
			// struct landlock_net_port_attr { u64 allowed_access; u64 port; }
			MemorySegment rule = arena.allocate(16, 8);
			rule.set(JAVA_LONG, 0, right);
			rule.set(JAVA_LONG, 8, port);
			long rc = (long) Posix.SYSCALL.invokeExact(state, SYS_ADD_RULE, (long) ruleset, (long) RULE_NET_PORT,
					rule.address(), 0L);
			if (rc != 0) {
				throw new IOException("landlock_add_rule for TCP port " + port + " failed: errno " + Posix.errno(state));
			}
		}
	}
}
