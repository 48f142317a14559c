package io.github.imsg4j.core;

import org.jspecify.annotations.Nullable;

/**
 * Receives a channel's events on the channel's event-loop thread, in order: {@link #onOpen} once, then
 * {@link #onMessage} for each message (with {@link #onReadComplete} after each read's), then {@link #onClose}
 * once. Methods must not block: a blocked
 * listener stalls every channel of its event loop. Hand work to an executor instead.
 */
public interface ImsgListener {

	/**
	 * The channel is registered and about to read; nothing has been read from the peer yet.
	 *
	 * @param channel the new channel
	 */
	default void onOpen(ImsgChannel channel) {
	}

	/**
	 * A message arrived. The listener owns it: it should {@link Imsg#close()} it, or {@link Imsg#takeFd()} the
	 * descriptor it carries, once done. If this method throws, the channel logs the exception and closes the
	 * message; the connection stays up.
	 *
	 * @param channel the channel it arrived on
	 * @param message the message, owned by the listener from now on
	 */
	void onMessage(ImsgChannel channel, Imsg message);

	/**
	 * Every message of one read from the socket has been passed to {@link #onMessage}: a listener that hands
	 * messages to other threads can hand over a read's worth at once instead of one at a time.
	 *
	 * @param channel the channel that read them
	 */
	default void onReadComplete(ImsgChannel channel) {
	}

	/**
	 * The peer will send nothing more (it shut down its sending side, {@code shutdown(SHUT_WR)}, or closed), and
	 * every message it sent has been passed to {@link #onMessage}. A listener that still owes the peer replies
	 * returns {@code true}: the channel stops reading but stays open for sending, and the listener closes it
	 * when done (with {@link ImsgChannel#closeWhenFlushed()}, which never blocks). If the peer closed both
	 * directions, the next write fails and the channel closes. The default returns {@code false}: the channel
	 * writes what the socket takes at once and closes.
	 *
	 * @param channel the channel whose input ended
	 * @return whether to keep the channel open for sending
	 */
	default boolean onInputClosed(ImsgChannel channel) {
		return false;
	}

	/**
	 * The channel closed: by this side, by the peer, or because of an error.
	 *
	 * @param channel the closed channel
	 * @param cause why it failed, or {@code null} for an orderly close by either side
	 */
	default void onClose(ImsgChannel channel, @Nullable Throwable cause) {
	}
}
