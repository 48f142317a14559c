package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.imsg4j.core.internal.ListeningSocket;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.SocketLayer;
import org.jspecify.annotations.Nullable;

/**
 * The rules for a server's socket file, in the order {@link ImsgServer#listen} applies them: the directory must
 * be one no other user can swap the socket in; an existing file is removed only when it is a dead socket of
 * ours; the socket is bound in a private directory, given its mode and group there, and linked into place, so
 * that it is never more open than configured; leftovers of our dead processes are cleaned up.
 */
final class SocketFiles {

	private static final System.Logger LOG = System.getLogger(SocketFiles.class.getName());

	static final int MAX_PATH_BYTES = ListenOptions.MAX_SOCKET_PATH_BYTES;

	private static final int S_IFMT = 0170000;

	private static final int S_IFSOCK = 0140000;

	private static final int S_ISVTX = 01000;

	/** Private directories: {@code .imsg4j-<pid>-<random>}, or the pid-less names earlier versions made. */
	private static final Pattern PRIVATE_DIR = Pattern.compile("\\.imsg4j-(?:(\\d+)-)?[0-9]+");

	private SocketFiles() {
	}

	/** This process's uid ({@link PeerCredentials#ownUid()}); without it no file can be judged ours. */
	static int ownUid() {
		long uid = PeerCredentials.ownUid();
		if (uid < 0) {
			throw new ImsgIoException("cannot tell this process's uid from /proc/self");
		}
		return (int) uid;
	}

	/** What {@code bind(2)} alone would give a socket: {@code 0666} less the process's umask. */
	static Set<PosixFilePermission> umaskMode() {
		int umask = 022;
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
				if (line.startsWith("Umask:")) {
					umask = Integer.parseInt(line.substring(6).trim(), 8);
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// kernels before 4.7 do not show it: assume the usual 022
		}
		return ListenOptions.parseMode(String.format("%04o", 0666 & ~umask));
	}

	/**
	 * Refuses a directory in which another user could replace our socket after we made it (and so pose as us
	 * to our clients, descriptors included): owned by someone other than us or root, or writable by group or
	 * others without the sticky bit. The same rule as tmux's and sshd's {@code StrictModes}.
	 */
	static void checkDirectory(Path path) {
		Path dir = path.toAbsolutePath().getParent();
		int uid;
		int mode;
		try {
			uid = (Integer) Files.getAttribute(dir, "unix:uid");
			mode = (Integer) Files.getAttribute(dir, "unix:mode");
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot listen on " + path + ": cannot read its directory " + dir + ": " + ex, ex);
		}
		int own = ownUid();
		String fix = "; use a directory only this user (or root) can write in, or turn this check off "
				+ "(ListenOptions.withDirectoryCheck(false), imsg.endpoints.<name>.socket-directory-check=false)";
		if (uid != own && uid != 0) {
			throw new ImsgUnsafeDirectoryException("cannot listen on " + path + ": its directory " + dir + " belongs to uid " + uid
					+ ", not to this process's uid " + own + " or root, so that user could replace the socket" + fix);
		}
		if ((mode & 022) != 0 && (mode & S_ISVTX) == 0) {
			throw new ImsgUnsafeDirectoryException("cannot listen on " + path + ": its directory " + dir + " has mode "
					+ String.format("%04o", mode & 07777)
					+ ", writable by other users without the sticky bit, so they could replace the socket" + fix);
		}
	}

	/**
	 * Removes what is at {@code path} only when it is a socket file of this uid that refuses connections
	 * ({@code ECONNREFUSED}): a dead server's. A live server, a socket we may not connect to (EACCES), another
	 * user's socket, and anything that is not a socket are never touched.
	 */
	static void removeStaleSocket(Path path, ListenOptions.StaleSocket policy) {
		int mode;
		int uid;
		try {
			mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
			uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
		}
		catch (java.nio.file.NoSuchFileException ex) {
			return;
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot listen on " + path + ": cannot examine what is there: " + ex, ex);
		}
		if ((mode & S_IFMT) != S_IFSOCK) {
			throw new ImsgIoException("cannot listen on " + path + ": it exists and is not a socket; not removing it");
		}
		boolean live;
		try {
			live = SocketLayer.get().isListening(path);
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot listen on " + path + ": a socket is there and cannot be probed ("
					+ ex.getMessage() + "); it may belong to a live server, so it is not removed", ex);
		}
		if (live) {
			throw new ImsgIoException("cannot listen on " + path + ": another server is listening there");
		}
		if (uid != ownUid()) {
			throw new ImsgIoException("cannot listen on " + path + ": a dead socket of uid " + uid
					+ " is there; only the owner's sockets are removed");
		}
		if (policy == ListenOptions.StaleSocket.FAIL) {
			throw new ImsgIoException("cannot listen on " + path
					+ ": a stale socket file is there and the stale-socket policy is fail; not removing it");
		}
		try {
			Files.deleteIfExists(path);
		}
		catch (IOException ex) {
			throw new ImsgIoException("cannot remove stale socket " + path + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Binds {@code socket} in a fresh {@code 0700} directory beside {@code path}, gives it its group and mode
	 * there, then hard-links it to {@code path} (which fails if anything appeared there meanwhile): nobody can
	 * connect before the socket has its final permissions, whatever the umask and the socket library do.
	 *
	 * @return the private directory if it must stay while the server listens (junixsocket's bound-path check
	 *         could not be turned off), else {@code null}: it is gone already
	 */
	static @Nullable Path bindPrivately(ListeningSocket socket, Path path, Set<PosixFilePermission> mode,
			@Nullable String group, int backlog) throws IOException {
		Path parent = path.toAbsolutePath().getParent();
		Path dir = Files.createTempDirectory(parent, ".imsg4j-" + ProcessHandle.current().pid() + "-",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		Path tmp = dir.resolve("s");
		boolean keep = false;
		try {
			if (tmp.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_PATH_BYTES) {
				socket.bind(tmp, backlog);
			}
			else {
				bindThroughDescriptor(socket, dir, backlog);
			}
			if (group != null) {
				GroupPrincipal principal = path.getFileSystem().getUserPrincipalLookupService()
					.lookupPrincipalByGroupName(group);
				Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(principal);
			}
			Files.setPosixFilePermissions(tmp, mode);
			Files.createLink(path, tmp);
			keep = socket.needsBoundPath();
			return keep ? dir : null;
		}
		finally {
			if (!keep) {
				removePrivateDir(dir);
			}
		}
	}

	/**
	 * A path too long for {@code sun_path} once the private directory is added: bind through
	 * {@code /proc/self/fd/N/s}, N a descriptor of the private directory, which is short whatever the path.
	 */
	private static void bindThroughDescriptor(ListeningSocket socket, Path dir, int backlog) throws IOException {
		if (!socket.bindsThroughDescriptors()) {
			throw new IOException("the path is too long to bind in a private directory beside it with this junixsocket ("
					+ MAX_PATH_BYTES + " bytes at most)");
		}
		try (DirectoryStream<Path> open = Files.newDirectoryStream(dir)) {
			socket.bind(Path.of("/proc/self/fd", descriptorOf(dir), "s"), backlog);
		}
	}

	/** The number of a descriptor this process holds open on {@code dir}. */
	private static String descriptorOf(Path dir) throws IOException {
		Path target = dir.toRealPath();
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return fds.filter((fd) -> {
				try {
					return Files.readSymbolicLink(fd).equals(target);
				}
				catch (IOException ex) {
					return false;
				}
			}).map((fd) -> fd.getFileName().toString()).findFirst()
				.orElseThrow(() -> new IOException("no descriptor of " + dir + " in /proc/self/fd"));
		}
	}

	static void removePrivateDir(Path dir) {
		try {
			Files.deleteIfExists(dir.resolve("s"));
			Files.deleteIfExists(dir);
		}
		catch (IOException ex) {
			SafeLog.log(LOG, System.Logger.Level.WARNING, () -> "cannot remove " + dir + ": " + ex.getMessage(), null);
		}
	}

	/**
	 * Removes private directories that servers of this uid left beside {@code path} when their process died:
	 * only directories of ours, named as we name them, of a process that no longer runs (or, for names without a
	 * pid, whose socket refuses connections), holding nothing but that socket.
	 */
	static void removeLeftovers(Path path) {
		Path parent = path.toAbsolutePath().getParent();
		int own = ownUid();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, ".imsg4j-*")) {
			for (Path dir : entries) {
				Matcher m = PRIVATE_DIR.matcher(dir.getFileName().toString());
				if (m.matches() && isLeftover(dir, m.group(1), own)) {
					removePrivateDir(dir);
					SafeLog.log(LOG, System.Logger.Level.INFO, () -> "removed " + dir + ", left by a server that died", null);
				}
			}
		}
		catch (IOException ex) {
			// cannot list the directory: nothing of ours to clean
		}
	}

	private static boolean isLeftover(Path dir, @Nullable String pid, int own) throws IOException {
		if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
				|| (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != own) {
			return false;
		}
		try (Stream<Path> inside = Files.list(dir)) {
			if (inside.anyMatch((p) -> !p.getFileName().toString().equals("s"))) {
				return false;
			}
		}
		if (pid != null) {
			return ProcessHandle.of(Long.parseLong(pid)).isEmpty();
		}
		Path socket = dir.resolve("s");
		if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
			return false; // perhaps a server of an earlier version about to bind: leave it
		}
		try {
			return !SocketLayer.get().isListening(socket);
		}
		catch (IOException ex) {
			return false;
		}
	}
}
