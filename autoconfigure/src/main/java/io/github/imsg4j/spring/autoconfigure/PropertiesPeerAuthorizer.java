package io.github.imsg4j.spring.autoconfigure;

import java.util.Set;
import java.util.function.Predicate;

import io.github.imsg4j.core.PeerCredentials;

/**
 * The rules from an endpoint's {@code auth.*} properties: the server's own uid (unless turned off), root if
 * allowed, listed uids and users, listed gids and groups (the peer's primary gid, as {@code SO_PEERCRED} gives
 * it). Names are resolved to ids once, at start-up.
 *
 * @param allowSameUser whether the server's own uid may connect
 * @param ownUid the server's uid
 * @param allowRoot whether uid 0 may connect
 * @param uids allowed uids
 * @param gids allowed gids
 */
record PropertiesPeerAuthorizer(boolean allowSameUser, long ownUid, boolean allowRoot, Set<Long> uids,
		Set<Long> gids) implements Predicate<PeerCredentials> {

	/**
	 * @param peer the peer's credentials
	 * @return whether any rule allows it
	 */
	@Override
	public boolean test(PeerCredentials peer) {
		return (this.allowSameUser && peer.uid() == this.ownUid) || (this.allowRoot && peer.uid() == 0)
				|| this.uids.contains(peer.uid()) || this.gids.contains(peer.gid());
	}
}
