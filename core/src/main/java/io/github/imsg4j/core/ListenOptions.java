package io.github.imsg4j.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * How a server's socket file is made: its permissions and group, the listen backlog, what to do when the path
 * already exists, and whether its directory is checked. Immutable; start from {@link #defaults()}.
 *
 * <p>The socket is bound inside a private ({@code 0700}) directory next to the path ({@code .imsg4j-*}), given
 * its mode and group there, and only then linked into place, so that there is no moment in which the socket
 * is more open than configured (the socket library alone would make it {@code 0666}). The private directory is
 * removed right after; one left by a process that died is removed by the next server started beside it.
 *
 * @param mode the socket file's permissions ({@code 0600} by default), or {@code null} for what
 *        {@code bind(2)} gives: {@code 0666} less the process's umask
 * @param group the socket file's group name, or {@code null} for the process's group
 * @param backlog the {@code listen(2)} backlog; at least 1
 * @param staleSocket what to do with an existing socket file nobody listens on
 * @param directoryCheck whether to refuse a directory another user could replace the socket in: owned by
 *        someone other than this user or root, or writable by others without the sticky bit (on by default)
 */
public record ListenOptions(@Nullable Set<PosixFilePermission> mode, @Nullable String group, int backlog,
		StaleSocket staleSocket, boolean directoryCheck) {

	private static final ListenOptions DEFAULTS = new ListenOptions(parseMode("0600"), null, 128,
			StaleSocket.REPLACE, true);

	/**
	 * What a server does when its path already holds a socket file. Whatever this says, only a socket of this
	 * user's that refuses connections is ever removed: never a live one, one we may not connect to, another
	 * user's, or anything that is not a socket.
	 */
	public enum StaleSocket {

		/** Remove a socket file nobody listens on and bind anew. */
		REPLACE,

		/** Refuse to start while anything exists at the path. */
		FAIL
	}

	/**
	 * Validates the fields.
	 *
	 * @param mode the socket's permissions, or {@code null}
	 * @param group the socket's group, or {@code null}
	 * @param backlog the listen backlog
	 * @param staleSocket the stale-socket policy
	 * @param directoryCheck whether the socket's directory is checked
	 */
	public ListenOptions {
		mode = (mode != null) ? Set.copyOf(mode) : null;
		ChannelOptions.atLeastOne("backlog", backlog);
		if (group != null && group.isBlank()) {
			throw new ImsgOptionException("group", group, "the name of an existing group");
		}
		java.util.Objects.requireNonNull(staleSocket, "staleSocket");
	}

	/**
	 * Mode {@code 0600}, the process's group, backlog 128, stale sockets of ours replaced, the directory checked.
	 *
	 * @return the defaults
	 */
	public static ListenOptions defaults() {
		return DEFAULTS;
	}

	/** {@code sizeof(sun_path) - 1}: the longest path {@code bind(2)} and {@code connect(2)} take. */
	public static final int MAX_SOCKET_PATH_BYTES = 107;

	/**
	 * Checks that a socket path fits {@code sun_path} once made absolute, as binding and connecting need.
	 *
	 * @param path the socket's path
	 * @return {@code path}
	 * @throws ImsgOptionException naming {@code path} when it is empty or too long
	 */
	public static Path checkSocketPath(Path path) {
		if (path.toString().isEmpty()) {
			throw new ImsgOptionException("path", null, "the socket's file system path");
		}
		int bytes = path.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
		if (bytes > MAX_SOCKET_PATH_BYTES) {
			throw new ImsgOptionException("path", path, "a path of at most " + MAX_SOCKET_PATH_BYTES
					+ " bytes when made absolute (UNIX sockets' limit); this one has " + bytes);
		}
		return path;
	}

	/**
	 * Parses an octal mode such as {@code "0660"} or {@code "660"}: permission bits only.
	 *
	 * @param octal the mode
	 * @return the permissions
	 * @throws IllegalArgumentException when it is not 3 or 4 octal digits with no setuid, setgid or sticky bits
	 */
	public static Set<PosixFilePermission> parseMode(String octal) {
		if (!octal.matches("0?[0-7]{3}")) {
			throw new ImsgOptionException("mode", octal,
					"an octal permission mode such as \"0600\" or \"0660\" (permission bits only; quote it in YAML)");
		}
		int bits = Integer.parseInt(octal, 8);
		StringBuilder rwx = new StringBuilder(9);
		String letters = "rwxrwxrwx";
		for (int i = 0; i < 9; i++) {
			rwx.append(((bits >> (8 - i)) & 1) != 0 ? letters.charAt(i) : '-');
		}
		return PosixFilePermissions.fromString(rwx.toString());
	}

	/**
	 * @param permissions the socket file's permissions, or {@code null} for {@code 0666} less the umask
	 * @return a copy with that mode
	 */
	public ListenOptions withMode(@Nullable Set<PosixFilePermission> permissions) {
		return new ListenOptions(permissions, this.group, this.backlog, this.staleSocket, this.directoryCheck);
	}

	/**
	 * @param name the socket file's group, or {@code null} for the process's
	 * @return a copy with that group
	 */
	public ListenOptions withGroup(@Nullable String name) {
		return new ListenOptions(this.mode, name, this.backlog, this.staleSocket, this.directoryCheck);
	}

	/**
	 * @param value the listen backlog
	 * @return a copy with that backlog
	 */
	public ListenOptions withBacklog(int value) {
		return new ListenOptions(this.mode, this.group, value, this.staleSocket, this.directoryCheck);
	}

	/**
	 * @param policy what to do with a stale socket file
	 * @return a copy with that policy
	 */
	public ListenOptions withStaleSocket(StaleSocket policy) {
		return new ListenOptions(this.mode, this.group, this.backlog, policy, this.directoryCheck);
	}

	/**
	 * @param check whether to refuse a socket directory another user could replace the socket in
	 * @return a copy with the check on or off
	 */
	public ListenOptions withDirectoryCheck(boolean check) {
		return new ListenOptions(this.mode, this.group, this.backlog, this.staleSocket, check);
	}
}
