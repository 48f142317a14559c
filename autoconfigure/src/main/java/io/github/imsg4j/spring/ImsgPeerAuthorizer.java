package io.github.imsg4j.spring;

import io.github.imsg4j.core.PeerCredentials;

/**
 * Custom rules for who may connect, judged from the kernel's credentials before any byte of the peer is read.
 * Every authorizer bean is asked in order; the first that does not {@link Decision#ABSTAIN abstain} decides. If
 * all abstain, the endpoint's {@code auth.*} properties decide. Called on an event-loop thread: must not block.
 *
 * <p>Credentials name the peer's pid at connect time. A pid can be reused once that process exits, so rules
 * should rest on uid and gid; treat the pid as a hint for logs.
 */
@FunctionalInterface
public interface ImsgPeerAuthorizer {

	/**
	 * @param endpoint the endpoint's name ({@code imsg.endpoints.<name>})
	 * @param peer the peer's credentials
	 * @return the decision
	 */
	Decision authorize(String endpoint, PeerCredentials peer);

	/** An authorizer's answer. */
	enum Decision {
		/** Serve the peer. */
		ALLOW,
		/** Close the connection unread. */
		DENY,
		/** Leave it to the next authorizer, then to the properties. */
		ABSTAIN
	}
}
