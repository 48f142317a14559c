package io.github.imsg4j.core;

import org.jspecify.annotations.Nullable;

/**
 * Decides, for each accepted connection, from the kernel's view of the peer and before any byte of the peer
 * is read, whether to serve it and with which listener. Called on an event-loop thread: must not block.
 */
@FunctionalInterface
public interface ImsgAcceptHandler {

	/**
	 * @param peer the peer's credentials ({@code SO_PEERCRED})
	 * @return the listener for the new channel, or {@code null} to close the connection unread
	 */
	@Nullable ImsgListener accept(PeerCredentials peer);
}
