package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Sockets this process did not make but was given: by a privilege-separating parent, which puts one end of a
 * {@code socketpair(2)} at a fixed descriptor before it execs the child (OpenBSD's {@code proc.c} uses 3), or by
 * systemd socket activation ({@code sd_listen_fds(3)}: {@code LISTEN_PID}, {@code LISTEN_FDS},
 * {@code LISTEN_FDNAMES}, descriptors from 3 on). {@link ImsgChannel#inherited} and {@link ImsgServer#inherited}
 * take such descriptors; this class finds and checks them.
 */
public final class InheritedSockets {

	/** The first descriptor systemd passes ({@code SD_LISTEN_FDS_START}). */
	public static final int LISTEN_FDS_START = 3;

	private static final int TYPE_STREAM = 1;

	private static final int TYPE_DGRAM = 2;

	private static final int TYPE_SEQPACKET = 5;

	private static final long ACCEPTING = 0x10000;

	private static final int CONNECTED = 3;

	private InheritedSockets() {
	}

	/**
	 * One socket systemd passed.
	 *
	 * @param fd its descriptor number
	 * @param name its {@code FileDescriptorName=} ({@code "unknown"} when systemd gave none)
	 */
	public record Activated(int fd, String name) {
	}

	/**
	 * The sockets systemd passed to this process.
	 *
	 * @return them, in descriptor order
	 * @throws ImsgIoException when this process was not socket-activated: {@code LISTEN_FDS} unset or invalid,
	 *         or {@code LISTEN_PID} not this process's pid
	 */
	public static List<Activated> activated() {
		return activated(System.getenv(), ProcessHandle.current().pid());
	}

	/** {@link #activated()} for a given environment and pid. */
	static List<Activated> activated(Map<String, String> env, long pid) {
		String fds = env.get("LISTEN_FDS");
		String listenPid = env.get("LISTEN_PID");
		if (fds == null) {
			throw new ImsgIoException("not socket-activated: LISTEN_FDS is not set (start the process from a systemd "
					+ "socket unit, or systemd-socket-activate)");
		}
		if (listenPid == null || !listenPid.equals(Long.toString(pid))) {
			throw new ImsgIoException("not socket-activated: LISTEN_PID is " + ((listenPid == null) ? "not set"
					: "'" + listenPid + "'") + ", not this process's pid " + pid
					+ " (the sockets were meant for another process)");
		}
		int n;
		try {
			n = Integer.parseInt(fds);
		}
		catch (NumberFormatException ex) {
			throw new ImsgIoException("not socket-activated: LISTEN_FDS is '" + fds + "', not a number");
		}
		if (n < 1) {
			throw new ImsgIoException("socket-activated with no sockets (LISTEN_FDS=" + n + ")");
		}
		String namesVar = env.get("LISTEN_FDNAMES");
		String[] names = (namesVar != null) ? namesVar.split(":", -1) : new String[0];
		List<Activated> out = new ArrayList<>(n);
		for (int i = 0; i < n; i++) {
			out.add(new Activated(LISTEN_FDS_START + i, (i < names.length && !names[i].isEmpty()) ? names[i] : "unknown"));
		}
		return out;
	}

	/**
	 * The descriptor of the listening socket systemd passed under {@code name}, or the only one when
	 * {@code name} is {@code null}.
	 *
	 * @param name a {@code FileDescriptorName=}, or {@code null}
	 * @return the descriptor number
	 * @throws ImsgIoException when not socket-activated, when no socket has that name, or when {@code name} is
	 *         {@code null} and there is more than one
	 */
	public static int activated(@Nullable String name) {
		return activated(activated(), name);
	}

	static int activated(List<Activated> sockets, @Nullable String name) {
		if (name == null) {
			if (sockets.size() != 1) {
				throw new ImsgIoException("socket-activated with " + sockets.size() + " sockets " + sockets
						+ "; say which by its FileDescriptorName");
			}
			return sockets.get(0).fd();
		}
		for (Activated a : sockets) {
			if (a.name().equals(name)) {
				return a.fd();
			}
		}
		throw new ImsgIoException("no socket named '" + name + "' was passed by systemd; the names are "
				+ sockets.stream().map(Activated::name).toList() + " (FileDescriptorName= in the socket unit)");
	}

	/** What {@code /proc/net/unix} says of a descriptor. */
	record UnixSocket(int fd, int type, boolean listening, boolean connected, String path) {
	}

	/**
	 * Checks that {@code fd} is an {@code AF_UNIX} stream socket, listening or connected as asked.
	 *
	 * @throws ImsgIoException saying what it is instead
	 */
	static UnixSocket check(int fd, boolean listening) {
		UnixSocket s = describe(fd);
		if (s.type() != TYPE_STREAM) {
			throw new ImsgIoException("descriptor " + fd + " is an AF_UNIX " + typeName(s.type())
					+ " socket; imsg needs SOCK_STREAM");
		}
		if (listening && !s.listening()) {
			throw new ImsgIoException("descriptor " + fd + " is an AF_UNIX stream socket that is not listening");
		}
		if (!listening && !s.connected()) {
			throw new ImsgIoException("descriptor " + fd + " is an AF_UNIX stream socket that is not connected"
					+ (s.listening() ? " (it is listening: use ImsgServer.inherited)" : ""));
		}
		return s;
	}

	private static String typeName(int type) {
		return switch (type) {
			case TYPE_DGRAM -> "SOCK_DGRAM";
			case TYPE_SEQPACKET -> "SOCK_SEQPACKET";
			default -> "type " + type;
		};
	}

	/** Finds the descriptor's socket inode in {@code /proc/net/unix}: type, state and bound path. */
	private static UnixSocket describe(int fd) {
		String target;
		try {
			target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
		}
		catch (IOException ex) {
			throw new ImsgIoException("descriptor " + fd + " is not open in this process");
		}
		if (!target.startsWith("socket:[")) {
			throw new ImsgIoException("descriptor " + fd + " is not a socket (it is " + target + ")");
		}
		String inode = target.substring("socket:[".length(), target.length() - 1);
		List<String> lines;
		try {
			lines = Files.readAllLines(Path.of("/proc/net/unix"));
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot read /proc/net/unix to check descriptor " + fd + ": " + ex, ex);
		}
		for (String line : lines.subList(1, lines.size())) {
			// Num RefCount Protocol Flags Type St Inode [Path]
			String[] f = line.trim().split("\\s+");
			if (f.length >= 7 && f[6].equals(inode)) {
				long flags = Long.parseLong(f[3], 16);
				int type = Integer.parseInt(f[4], 16);
				int state = Integer.parseInt(f[5], 16);
				return new UnixSocket(fd, type, (flags & ACCEPTING) != 0, state == CONNECTED,
						(f.length > 7) ? f[7] : "");
			}
		}
		throw new ImsgIoException("descriptor " + fd + " is a socket, but not an AF_UNIX one");
	}
}
