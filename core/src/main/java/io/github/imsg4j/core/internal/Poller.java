package io.github.imsg4j.core.internal;

import java.io.Closeable;
import java.io.IOException;

/**
 * How an {@link EventLoop} waits for readiness: junixsocket's selector or the FFM transport's epoll. Confined
 * to its loop's thread except for {@link #wakeup()}.
 */
public interface Poller extends Closeable {

	/** Interest in reading (and in end of stream): {@link java.nio.channels.SelectionKey#OP_READ}'s value. */
	int READ = 1;

	/** Interest in room for writing: {@link java.nio.channels.SelectionKey#OP_WRITE}'s value. */
	int WRITE = 4;

	/** Interest in connections to accept: {@link java.nio.channels.SelectionKey#OP_ACCEPT}'s value. */
	int ACCEPT = 16;

	/**
	 * Registers a socket of this poller's socket layer.
	 *
	 * @param socket a {@link Transport} or {@link ListeningSocket} of the same layer
	 * @param ops the initial interest, {@link #READ}, {@link #WRITE} and {@link #ACCEPT} or'ed
	 * @param handler told of readiness and of the registration's end
	 * @return the registration
	 * @throws IOException when the socket is closed or cannot be registered
	 */
	Registration register(Object socket, int ops, EventLoop.Handler handler) throws IOException;

	/**
	 * Waits for readiness and tells the handlers: of ready sockets ({@link EventLoop.Handler#onReady}), then of
	 * registrations that ended behind their owner's back, on a hang-up ({@link EventLoop.Handler#onInvalid}).
	 *
	 * @param timeoutMillis how long to wait at most: -1 for no limit, 0 for not at all
	 * @throws IOException when polling itself fails
	 */
	void poll(long timeoutMillis) throws IOException;

	/** Makes a {@link #poll} in progress (or the next one) return soon. Any thread. */
	void wakeup();

	/** A socket's place in a poller. Loop thread only. */
	interface Registration {

		/**
		 * @return the current interest
		 */
		int interestOps();

		/**
		 * @param ops the new interest; nothing happens when it is the current one
		 */
		void interestOps(int ops);

		/**
		 * @return whether the registration still stands
		 */
		boolean isValid();

		/** Ends the registration; the handler is not told. */
		void cancel();
	}
}
