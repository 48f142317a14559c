package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The socket library under the core: the FFM transport of our own (Java 22+, {@code socket(2)} and
 * {@code epoll(7)} through the foreign-function API) or junixsocket. Chosen once per process: the FFM one where
 * the JDK has it and it was built in, unless the system property {@value #PROPERTY} says
 * {@code junixsocket}; {@code ffm} insists on it and fails where it is missing.
 */
public interface SocketLayer {

	/** The system property that chooses the transport: {@code ffm} or {@code junixsocket}. */
	String PROPERTY = "imsg4j.transport";

	/**
	 * @return the socket layer of this process
	 */
	static SocketLayer get() {
		return SocketLayers.get();
	}

	/**
	 * @return which layer this process uses and why, or why the one asked for cannot be had
	 */
	static String reason() {
		return SocketLayers.choice().reason();
	}

	/**
	 * @return whether a layer could be chosen ({@code false} when {@code imsg4j.transport} asks for one that
	 *         cannot be had)
	 */
	static boolean available() {
		return SocketLayers.choice().layer() != null;
	}

	/**
	 * @return {@code ffm} or {@code junixsocket}
	 */
	String name();

	/**
	 * @return a poller for an event loop, which can register this layer's sockets
	 * @throws IOException when it cannot be made (out of descriptors)
	 */
	Poller openPoller() throws IOException;

	/**
	 * Connects, blocking, to a listening socket.
	 *
	 * @param path the socket's path
	 * @param receiveFds whether the connection accepts descriptors
	 * @return the connection, non-blocking
	 * @throws IOException when the connection fails; {@link java.net.ConnectException} when refused
	 */
	Transport connect(Path path, boolean receiveFds) throws IOException;

	/**
	 * @param receiveFds whether both ends accept descriptors
	 * @return two connected ends, as {@code socketpair(2)} gives
	 * @throws IOException when they cannot be made
	 */
	Transport[] pair(boolean receiveFds) throws IOException;

	/**
	 * A connection over a connected socket this process was given; owned by the transport from now on.
	 *
	 * @param fd its descriptor number
	 * @param receiveFds whether it accepts descriptors
	 * @return the connection
	 * @throws IOException when it cannot be used
	 */
	Transport adopt(int fd, boolean receiveFds) throws IOException;

	/**
	 * {@link #adopt(int, boolean)} for a descriptor held as an object, through which it is closed in the end.
	 *
	 * @param fd the descriptor
	 * @param receiveFds whether it accepts descriptors
	 * @return the connection
	 * @throws IOException when it cannot be used
	 */
	Transport adopt(FileDescriptor fd, boolean receiveFds) throws IOException;

	/**
	 * @return a socket to bind and listen on
	 * @throws IOException when it cannot be made
	 */
	ListeningSocket openListening() throws IOException;

	/**
	 * A listening socket this process was given; owned from now on.
	 *
	 * @param fd its descriptor number
	 * @return the socket
	 * @throws IOException when it cannot be used
	 */
	ListeningSocket adoptListening(int fd) throws IOException;

	/**
	 * Whether something accepts connections at {@code path}: the stale-socket probe.
	 *
	 * @param path a socket file
	 * @return {@code true} when a connection was accepted, {@code false} when refused ({@code ECONNREFUSED})
	 * @throws IOException when it cannot be told (no permission, say)
	 */
	boolean isListening(Path path) throws IOException;

	/**
	 * The number of a descriptor held as an object.
	 *
	 * @param fd an open descriptor
	 * @return its number
	 * @throws IOException when it is not valid
	 */
	int number(FileDescriptor fd) throws IOException;

	/**
	 * A descriptor object for a number this process owns, which it then owns.
	 *
	 * @param fd the number
	 * @return the object
	 * @throws IOException when none can be made
	 */
	FileDescriptor object(int fd) throws IOException;

	/**
	 * Opens a file read-only, close-on-exec, for sending its descriptor: {@code open(2)} and nothing else where the
	 * layer can (the JDK's {@code FileInputStream} costs several microseconds more per descriptor, mostly its
	 * cleaner registration).
	 *
	 * @param path the file
	 * @return the descriptor, closed by {@link OutgoingFd#release()} once sent; held as a number on the FFM layer
	 * @throws IOException when it cannot be opened
	 */
	OutgoingFd openReadOnly(Path path) throws IOException;

	/**
	 * Closes a descriptor this layer made: received with a message, or from {@link #openReadOnly}. Not for
	 * descriptors the application made, which the JDK may have registered for closing by a cleaner (that would then
	 * close the number again, whatever it names by then). Errors are ignored: the descriptor is gone either way.
	 *
	 * @param fd the descriptor; invalid afterwards
	 */
	void closeOwn(FileDescriptor fd);

	/**
	 * Closes a descriptor this layer made and holds as a number (see {@link OutgoingFd#heldNumber()}), for which
	 * no object exists. Errors are ignored.
	 *
	 * @param fd the number
	 */
	void closeNumber(int fd);
}
