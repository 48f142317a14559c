package io.github.imsg4j.core.internal.ffm;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.github.imsg4j.core.ChildExit;
import io.github.imsg4j.core.ImsgSandbox;
import io.github.imsg4j.core.internal.ChildOutput;
import io.github.imsg4j.core.internal.SocketLayer;
import io.github.imsg4j.core.internal.StartedChild;
import io.github.imsg4j.core.internal.Spawner;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@link Spawner} through the foreign-function API: {@code socketpair(2)}, then {@code posix_spawnp(3)} with file
 * actions that put the child's end at the requested descriptor and close every descriptor above it, signal
 * mask emptied and dispositions reset (the JVM's are not the child's business), in a process group of its own.
 * The child is reaped by a thread of its own blocked in {@code waitpid(2)}: the JDK reaps only children it
 * started.
 *
 * <p>glibc on Linux: {@code posix_spawn_file_actions_addclosefrom_np} (2.34) and {@code addchdir_np} (2.29).
 */
public final class PosixSpawner implements Spawner {

	private static final Linker LINKER = Linker.nativeLinker();

	private static final SymbolLookup LIBC = LINKER.defaultLookup();

	private static final short POSIX_SPAWN_SETPGROUP = 0x02;

	private static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	private static final int SIGTERM = 15;

	private static final int SIGKILL = 9;

	/** Opaque glibc types, allocated generously: posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128. */
	private static final long OPAQUE = 1024;

	private static final MethodHandle FA_INIT = intOf("posix_spawn_file_actions_init", ADDRESS);

	private static final MethodHandle FA_DESTROY = intOf("posix_spawn_file_actions_destroy", ADDRESS);

	private static final MethodHandle FA_DUP2 = intOf("posix_spawn_file_actions_adddup2", ADDRESS, JAVA_INT, JAVA_INT);

	private static final MethodHandle FA_CLOSE = intOf("posix_spawn_file_actions_addclose", ADDRESS, JAVA_INT);

	private static final MethodHandle FA_CLOSEFROM = intOf("posix_spawn_file_actions_addclosefrom_np", ADDRESS,
			JAVA_INT);

	private static final MethodHandle FA_CHDIR = intOf("posix_spawn_file_actions_addchdir_np", ADDRESS, ADDRESS);

	private static final MethodHandle ATTR_INIT = intOf("posix_spawnattr_init", ADDRESS);

	private static final MethodHandle ATTR_DESTROY = intOf("posix_spawnattr_destroy", ADDRESS);

	private static final MethodHandle ATTR_SETFLAGS = intOf("posix_spawnattr_setflags", ADDRESS, JAVA_SHORT);

	private static final MethodHandle ATTR_SETPGROUP = intOf("posix_spawnattr_setpgroup", ADDRESS, JAVA_INT);

	private static final MethodHandle ATTR_SETSIGMASK = intOf("posix_spawnattr_setsigmask", ADDRESS, ADDRESS);

	private static final MethodHandle ATTR_SETSIGDEFAULT = intOf("posix_spawnattr_setsigdefault", ADDRESS, ADDRESS);

	private static final MethodHandle SIGEMPTYSET = intOf("sigemptyset", ADDRESS);

	private static final MethodHandle SIGFILLSET = intOf("sigfillset", ADDRESS);

	private static final MethodHandle SPAWNP = intOf("posix_spawnp", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
			ADDRESS);

	private static final MethodHandle WAITPID = errnoDowncall("waitpid",
			FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

	private static final MethodHandle KILL = LINKER.downcallHandle(find("kill"),
			FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

	/**
	 * Fails at construction when this JDK or C library lacks something, so that {@link Spawner#best()} falls back.
	 */
	public PosixSpawner() {
		// the static initializer did the look-ups
	}

	private static MemorySegment find(String name) {
		Optional<MemorySegment> symbol = LIBC.find(name);
		return symbol.orElseThrow(() -> new UnsupportedOperationException("no " + name + " in the C library"));
	}

	private static MethodHandle intOf(String name, ValueLayout... args) {
		return LINKER.downcallHandle(find(name), FunctionDescriptor.of(JAVA_INT, args));
	}

	private static MethodHandle errnoDowncall(String name, FunctionDescriptor fd) {
		return LINKER.downcallHandle(find(name), fd, Linker.Option.captureCallState("errno"));
	}

	@Override
	public String confinement() {
		int abi = Landlock.abi();
		return (abi > 0) ? "Landlock ABI " + abi : "none: this kernel has no Landlock (or it is disabled)";
	}

	@Override
	public String mechanism() {
		return "posix_spawn with one end of a socketpair at the child's descriptor (foreign-function API)";
	}

	@Override
	public Spawned spawn(List<String> command, Map<String, String> environment, @Nullable Path directory, int fd,
			boolean receiveFds, @Nullable ImsgSandbox sandbox) throws IOException {
		if (command.isEmpty()) {
			throw new IOException("no command to run");
		}
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment pair = arena.allocate(JAVA_INT, 2);
			int rc = (int) Posix.SOCKETPAIR.invokeExact(state, Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0,
					pair);
			if (rc != 0) {
				throw new IOException("socketpair failed: errno " + Posix.errno(state));
			}
			int parent = pair.getAtIndex(JAVA_INT, 0);
			int child = pair.getAtIndex(JAVA_INT, 1);
			// its standard output and error come through us (passed on as they come), so that a report of its
			// death can quote what it last said
			MemorySegment out = arena.allocate(JAVA_INT, 2);
			MemorySegment err = arena.allocate(JAVA_INT, 2);
			if ((int) Posix.PIPE2.invokeExact(state, out, Posix.O_CLOEXEC) != 0) {
				int ignored = (int) Posix.CLOSE.invokeExact(state, parent);
				ignored = (int) Posix.CLOSE.invokeExact(state, child);
				throw new IOException("pipe2 failed: errno " + Posix.errno(state));
			}
			if ((int) Posix.PIPE2.invokeExact(state, err, Posix.O_CLOEXEC) != 0) {
				closeAll(state, parent, child, out.getAtIndex(JAVA_INT, 0), out.getAtIndex(JAVA_INT, 1));
				throw new IOException("pipe2 failed: errno " + Posix.errno(state));
			}
			int[] stdio = { out.getAtIndex(JAVA_INT, 1), err.getAtIndex(JAVA_INT, 1) };
			int outRead = out.getAtIndex(JAVA_INT, 0);
			int errRead = err.getAtIndex(JAVA_INT, 0);
			boolean started = false;
			try {
				if (child == fd) {
					// dup2(fd, fd) would keep close-on-exec: move it out of the way first
					int moved = (int) Posix.FCNTL.invokeExact(state, child, Posix.F_DUPFD_CLOEXEC, fd + 1);
					int ignored = (int) Posix.CLOSE.invokeExact(state, child);
					child = moved;
				}
				String[] confinement = { "not confined" };
				long pid = (sandbox == null) ? spawn(arena, command, environment, directory, child, fd, stdio)
						: spawnConfined(sandbox, command, environment, directory, child, fd, stdio, confinement);
				Transport end;
				try {
					end = SocketLayer.get().adopt(parent, receiveFds);
				}
				catch (IOException | RuntimeException ex) {
					// no channel to the child: kill it and reap it here (parent is closed below)
					int ignored = (int) KILL.invokeExact((int) pid, SIGKILL);
					ignored = (int) WAITPID.invokeExact(state, (int) pid, arena.allocate(JAVA_INT), 0);
					throw ex;
				}
				ChildOutput output = new ChildOutput();
				output.pass(new FileInputStream(FfmSocketLayer.objectOf(outRead)), System.out, "imsg4j-child-" + pid + "-out");
				output.pass(new FileInputStream(FfmSocketLayer.objectOf(errRead)), System.err, "imsg4j-child-" + pid + "-err");
				started = true;
				return new Child(pid, end, confinement[0], output);
			}
			finally {
				closeAll(state, child, stdio[0], stdio[1]);
				if (!started) {
					closeAll(state, parent, outRead, errRead);
				}
			}
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IOException("posix_spawn failed: " + ex, ex);
		}
	}

	private static void closeAll(MemorySegment state, int... fds) throws Throwable {
		for (int fd : fds) {
			int ignored = (int) Posix.CLOSE.invokeExact(state, fd);
		}
	}

	/**
	 * Spawns the child from a thread of its own that first restricts itself with Landlock ({@link Landlock}): the
	 * child inherits the domain before its first instruction, and the thread, which does nothing else, ends. The
	 * rest of this JVM is untouched (Landlock ABI 7 restricts one thread). When the kernel cannot confine and the
	 * sandbox is not required, the child starts unconfined and {@code confinement} says why.
	 */
	private static long spawnConfined(ImsgSandbox sandbox, List<String> command, Map<String, String> environment,
			@Nullable Path directory, int child, int fd, int[] stdio, String[] confinement) throws Throwable {
		long[] pid = { -1 };
		Throwable[] failed = { null };
		Thread spawner = new Thread(() -> {
			try (Arena arena = Arena.ofConfined()) {
				String granted;
				try {
					granted = Landlock.restrictCurrentThread(sandbox);
				}
				catch (IOException ex) {
					if (sandbox.required()) {
						throw new IOException("cannot confine " + command.get(0) + " as its required sandbox asks: "
								+ ex.getMessage(), ex);
					}
					granted = "not confined: " + ex.getMessage();
				}
				pid[0] = spawn(arena, command, environment, directory, child, fd, stdio);
				confinement[0] = granted;
			}
			catch (Throwable ex) {
				failed[0] = ex;
			}
		}, "imsg4j-confined-spawn");
		spawner.start();
		spawner.join();
		if (failed[0] != null) {
			throw failed[0];
		}
		return pid[0];
	}

	private static long spawn(Arena arena, List<String> command, Map<String, String> environment,
			@Nullable Path directory, int child, int fd, int[] stdio) throws Throwable {
		MemorySegment actions = arena.allocate(OPAQUE, 16);
		MemorySegment attr = arena.allocate(OPAQUE, 16);
		MemorySegment sigs = arena.allocate(OPAQUE, 16);
		check("posix_spawn_file_actions_init", (int) FA_INIT.invokeExact(actions));
		check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(attr));
		try {
			check("adddup2", (int) FA_DUP2.invokeExact(actions, child, fd));
			// standard output and error into our pipes, before closefrom closes their numbers
			check("adddup2", (int) FA_DUP2.invokeExact(actions, stdio[0], 1));
			check("adddup2", (int) FA_DUP2.invokeExact(actions, stdio[1], 2));
			// Nothing of this process's but the socket: every descriptor above it closed in the child.
			check("addclosefrom_np", (int) FA_CLOSEFROM.invokeExact(actions, fd + 1));
			for (int i = 3; i < fd; i++) {
				// below the socket too (glibc ignores a close of a descriptor that is not open)
				check("addclose", (int) FA_CLOSE.invokeExact(actions, i));
			}
			if (directory != null) {
				check("addchdir_np", (int) FA_CHDIR.invokeExact(actions, arena.allocateFrom(directory.toString())));
			}
			check("sigemptyset", (int) SIGEMPTYSET.invokeExact(sigs));
			check("setsigmask", (int) ATTR_SETSIGMASK.invokeExact(attr, sigs));
			MemorySegment all = arena.allocate(OPAQUE, 16);
			check("sigfillset", (int) SIGFILLSET.invokeExact(all));
			check("setsigdefault", (int) ATTR_SETSIGDEFAULT.invokeExact(attr, all));
			// A process group of its own: a Ctrl-C at the terminal reaches the parent alone, which then stops its
			// children in order, instead of every process dying at once and each parent seeing its worker lost.
			check("setpgroup", (int) ATTR_SETPGROUP.invokeExact(attr, 0));
			check("setflags", (int) ATTR_SETFLAGS.invokeExact(attr,
					(short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP)));
			MemorySegment argv = strings(arena, command);
			Map<String, String> env = new java.util.TreeMap<>(environment);
			env.put(FD_VARIABLE, Integer.toString(fd));
			MemorySegment envp = strings(arena, env.entrySet().stream().map((e) -> e.getKey() + "=" + e.getValue())
				.toList());
			MemorySegment pid = arena.allocate(JAVA_INT);
			int rc = (int) SPAWNP.invokeExact(pid, arena.allocateFrom(command.get(0)), actions, attr, argv, envp);
			if (rc != 0) {
				throw new IOException("cannot start " + command.get(0) + ": posix_spawnp errno " + rc
						+ ((rc == 2) ? " (no such file in PATH)" : ""));
			}
			return pid.get(JAVA_INT, 0);
		}
		finally {
			int ignored = (int) FA_DESTROY.invokeExact(actions);
			ignored = (int) ATTR_DESTROY.invokeExact(attr);
		}
	}

	private static void check(String what, int rc) throws IOException {
		if (rc != 0) {
			throw new IOException(what + " failed: " + rc);
		}
	}

	/** A NULL-terminated {@code char *[]}. */
	private static MemorySegment strings(Arena arena, List<String> values) {
		MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
		for (int i = 0; i < values.size(); i++) {
			array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
		}
		array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
		return array;
	}

	private static final class Child extends StartedChild {

		private final long pid;

		private final Transport parent;

		private final CompletableFuture<ChildExit> exit = new CompletableFuture<>();

		Child(long pid, Transport parent, String confinement, ChildOutput output) {
			super(confinement, output);
			this.pid = pid;
			this.parent = parent;
			Thread reaper = new Thread(this::reap, "imsg4j-reaper-" + pid);
			reaper.setDaemon(true);
			reaper.start();
		}

		/** Blocks in waitpid until the child ends: reaping it, so that no zombie remains. */
		private void reap() {
			try (Arena arena = Arena.ofConfined()) {
				MemorySegment state = Posix.newState(arena);
				MemorySegment status = arena.allocate(JAVA_INT);
				while (true) {
					int rc = (int) WAITPID.invokeExact(state, (int) this.pid, status, 0);
					if (rc == this.pid) {
						int s = status.get(JAVA_INT, 0);
						int signal = s & 0x7f;
						this.exit.complete((signal == 0) ? new ChildExit((s >> 8) & 0xff, 0) : new ChildExit(-1, signal));
						return;
					}
					if (rc == -1 && Posix.errno(state) != Posix.EINTR) {
						this.exit.completeExceptionally(new IOException("waitpid(" + this.pid + ") failed: errno "
								+ Posix.errno(state)));
						return;
					}
				}
			}
			catch (Throwable ex) {
				this.exit.completeExceptionally(ex);
			}
		}

		@Override
		public long pid() {
			return this.pid;
		}


		@Override
		public Transport transport() {
			return this.parent;
		}

		@Override
		public CompletableFuture<ChildExit> exit() {
			return this.exit;
		}

		@Override
		public void signal(boolean force) {
			if (this.exit.isDone()) {
				return; // reaped: the pid may be another process's by now
			}
			try {
				int ignored = (int) KILL.invokeExact((int) this.pid, force ? SIGKILL : SIGTERM);
			}
			catch (Throwable ex) {
				// nothing more to do: the child is told no more
			}
		}
	}
}
