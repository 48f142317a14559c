package io.github.imsg4j.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a child process may do, for a parent that assumes it will be compromised one day: the JVM's
 * {@code unveil(2)}. On Linux with Landlock (Java 22+, {@code internal.ffm.Landlock}) the parent restricts a
 * thread of its own with this ruleset and starts the child from it, so the child is confined from its first
 * instruction, whatever it is written in, and so is everything it starts: it may open only what lies beneath
 * {@link #read}, {@link #write} and {@link #execute}, execute only beneath {@link #execute}, bind and connect TCP
 * only to the ports listed (Landlock ABI 4), and, with {@link #scopeSignals} and {@link #scopeAbstractUnix}
 * (ABI 6), neither signal nor reach through abstract UNIX sockets any process outside its domain (its parent
 * above all). Descriptors it already holds or is sent (its socket to the parent, files the parent opens for it)
 * work as ever: that is how a privilege-separated worker gets what it is not allowed to open.
 *
 * <p>What the kernel lacks is dropped (best effort), unless {@link #required}: then a child that cannot be
 * confined as asked is not started. Paths that do not exist are left out.
 *
 * @param read paths beneath which it may read files and list directories
 * @param write paths beneath which it may also create, write, truncate, rename and remove files, directories
 *        and sockets
 * @param execute paths beneath which it may read and execute files (its own program must be among them)
 * @param tcpBind TCP ports it may bind (none by default)
 * @param tcpConnect TCP ports it may connect to (none by default)
 * @param scopeSignals whether it may signal only processes in its own domain
 * @param scopeAbstractUnix whether it may connect only to abstract UNIX sockets of its own domain
 * @param required whether a kernel (or JDK) that cannot confine it as asked stops it being started
 */
public record ImsgSandbox(List<Path> read, List<Path> write, List<Path> execute, List<Integer> tcpBind,
		List<Integer> tcpConnect, boolean scopeSignals, boolean scopeAbstractUnix, boolean required) {

	/**
	 * What every dynamically linked program needs to start: the dynamic loader, the C library and its
	 * configuration, read and executable beneath the system library directories.
	 */
	public static final List<Path> SYSTEM_LIBRARIES = List.of(Path.of("/lib"), Path.of("/lib64"), Path.of("/usr/lib"),
			Path.of("/usr/lib64"), Path.of("/etc/ld.so.cache"));

	/**
	 * What a JVM reads besides its {@code java.home} and class path: its view of the machine ({@code /proc},
	 * {@code /sys}), randomness, time zones, and the user and group databases it looks names up in.
	 */
	public static final List<Path> JVM_READS = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev/urandom"),
			Path.of("/dev/random"), Path.of("/dev/null"), Path.of("/etc/localtime"), Path.of("/etc/timezone"),
			Path.of("/usr/share/zoneinfo"), Path.of("/etc/passwd"), Path.of("/etc/group"),
			Path.of("/etc/nsswitch.conf"), Path.of("/etc/hosts"), Path.of("/etc/host.conf"),
			Path.of("/etc/resolv.conf"), Path.of("/etc/java-17-openjdk"), Path.of("/etc/ssl/certs/java"));

	/**
	 * Copies the lists.
	 */
	public ImsgSandbox {
		read = List.copyOf(read);
		write = List.copyOf(write);
		execute = List.copyOf(execute);
		tcpBind = List.copyOf(tcpBind);
		tcpConnect = List.copyOf(tcpConnect);
		for (int port : tcpBind) {
			checkPort("tcpBind", port);
		}
		for (int port : tcpConnect) {
			checkPort("tcpConnect", port);
		}
	}

	private static void checkPort(String what, int port) {
		if (port < 0 || port > 65535) {
			throw new ImsgOptionException(what, Integer.toString(port), "a TCP port from 0 to 65535");
		}
	}

	/**
	 * The least a program can run with: it may execute and read the system libraries and nothing else; no TCP,
	 * signals and abstract sockets scoped; best effort.
	 *
	 * @param program the program it runs (made executable)
	 * @return the sandbox
	 */
	public static ImsgSandbox of(Path program) {
		List<Path> exec = new ArrayList<>(SYSTEM_LIBRARIES);
		exec.add(program);
		return new ImsgSandbox(List.of(), List.of(), exec, List.of(), List.of(), true, true, false);
	}

	/**
	 * {@link #of} for a JVM: its {@code java.home} executable, its class path and {@link #JVM_READS} readable.
	 *
	 * @param javaHome the child's {@code java.home}
	 * @param classPath the entries of its class path
	 * @return the sandbox
	 */
	public static ImsgSandbox forJvm(Path javaHome, List<Path> classPath) {
		ImsgSandbox base = of(javaHome);
		List<Path> read = new ArrayList<>(JVM_READS);
		read.addAll(classPath);
		return base.withRead(read);
	}

	/**
	 * @param paths more paths it may read beneath
	 * @return a sandbox that also allows them
	 */
	public ImsgSandbox withRead(List<Path> paths) {
		return new ImsgSandbox(join(this.read, paths), this.write, this.execute, this.tcpBind, this.tcpConnect,
				this.scopeSignals, this.scopeAbstractUnix, this.required);
	}

	/**
	 * @param paths more paths it may write beneath
	 * @return a sandbox that also allows them
	 */
	public ImsgSandbox withWrite(List<Path> paths) {
		return new ImsgSandbox(this.read, join(this.write, paths), this.execute, this.tcpBind, this.tcpConnect,
				this.scopeSignals, this.scopeAbstractUnix, this.required);
	}

	/**
	 * @param paths more paths it may execute beneath
	 * @return a sandbox that also allows them
	 */
	public ImsgSandbox withExecute(List<Path> paths) {
		return new ImsgSandbox(this.read, this.write, join(this.execute, paths), this.tcpBind, this.tcpConnect,
				this.scopeSignals, this.scopeAbstractUnix, this.required);
	}

	/**
	 * @param bind TCP ports it may bind
	 * @param connect TCP ports it may connect to
	 * @return a sandbox that allows those ports and no others
	 */
	public ImsgSandbox withTcp(List<Integer> bind, List<Integer> connect) {
		return new ImsgSandbox(this.read, this.write, this.execute, bind, connect, this.scopeSignals,
				this.scopeAbstractUnix, this.required);
	}

	/**
	 * @param signals whether signals to processes outside its domain are refused
	 * @param abstractUnix whether abstract UNIX sockets outside its domain are refused
	 * @return the sandbox with those scopes
	 */
	public ImsgSandbox withScopes(boolean signals, boolean abstractUnix) {
		return new ImsgSandbox(this.read, this.write, this.execute, this.tcpBind, this.tcpConnect, signals,
				abstractUnix, this.required);
	}

	/**
	 * @param must whether a child that cannot be confined as asked is not started
	 * @return the sandbox with that requirement
	 */
	public ImsgSandbox withRequired(boolean must) {
		return new ImsgSandbox(this.read, this.write, this.execute, this.tcpBind, this.tcpConnect, this.scopeSignals,
				this.scopeAbstractUnix, must);
	}

	private static List<Path> join(List<Path> a, List<Path> b) {
		Set<Path> all = new LinkedHashSet<>(a);
		all.addAll(b);
		return new ArrayList<>(all);
	}
}
