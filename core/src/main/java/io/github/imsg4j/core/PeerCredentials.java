package io.github.imsg4j.core;

import java.util.List;

/**
 * Who is at the other end of a UNIX socket, as the kernel reported it ({@code SO_PEERCRED}) when the
 * connection was made: read once at connect or accept, before any byte of the peer is read.
 *
 * <p>The pid is the peer's at {@code connect(2)}; the process may since have exited and its pid been
 * reused, so decisions based on the pid alone are weaker than those based on uid and gid.
 *
 * @param pid the peer's process id at connect time
 * @param uid the peer's effective user id
 * @param gid the peer's effective (primary) group id
 * @param groups every group id the kernel reported, the primary group first; on Linux {@code SO_PEERCRED}
 *        gives only the primary group
 */
public record PeerCredentials(long pid, long uid, long gid, List<Long> groups) {

	/**
	 * Copies the group list.
	 *
	 * @param pid the peer's process id at connect time
	 * @param uid the peer's effective user id
	 * @param gid the peer's effective group id
	 * @param groups the group ids the kernel reported
	 */
	public PeerCredentials {
		groups = List.copyOf(groups);
	}

	/**
	 * The effective uid of this process, to compare peers and file owners with, from {@code /proc/self}.
	 *
	 * @return the uid, or -1 when it cannot be told (no {@code /proc}): then it matches no peer and no file
	 */
	public static long ownUid() {
		try {
			return ((Number) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid"))
				.longValue();
		}
		catch (java.io.IOException | UnsupportedOperationException ex) {
			return -1;
		}
	}

	@Override
	public String toString() {
		return "pid=" + this.pid + " uid=" + this.uid + " gid=" + this.gid;
	}
}
