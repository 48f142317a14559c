package io.github.imsg4j.spring.test;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ServerEndpoint;
import org.jspecify.annotations.Nullable;

/**
 * A client for tests: connects to an endpoint of the application under test and does an exchange in one line.
 * Payloads are {@code byte[]}, {@link ByteBuffer}, {@link String} (sent NUL-terminated, as C strings are) or
 * {@code @ImsgStruct} records, encoded as the starter encodes them;
 * descriptors are accepted and may be sent. Replies are the caller's to close ({@code try (Imsg r = …)}), and
 * a reply that does not come within the timeout fails the test with an {@link AssertionError}.
 */
public final class ImsgTestClient implements AutoCloseable {

	private final ImsgChannel channel;

	private Duration timeout = Duration.ofSeconds(10);

	private ImsgTestClient(ImsgChannel channel) {
		this.channel = channel;
	}

	/**
	 * Connects to an endpoint of the running application, in its wire generation.
	 *
	 * @param registry the application's endpoint registry
	 * @param endpoint the endpoint's name ({@code imsg.endpoints.<name>})
	 * @return the connected client
	 */
	public static ImsgTestClient connect(ImsgEndpointRegistry registry, String endpoint) {
		ServerEndpoint e = registry.endpoint(endpoint);
		return connect(e.path(), e.wireFormat());
	}

	/**
	 * Connects to a socket.
	 *
	 * @param path the socket's path
	 * @param wire the wire generation it speaks
	 * @return the connected client
	 */
	public static ImsgTestClient connect(Path path, WireFormat wire) {
		return new ImsgTestClient(
				ImsgChannel.connect(path, ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true)));
	}

	/**
	 * @param wait how long {@link #request} and {@link #receive} wait (10 s by default)
	 * @return this client
	 */
	public ImsgTestClient withTimeout(Duration wait) {
		this.timeout = wait;
		return this;
	}

	/**
	 * Sends a message and waits for the next one from the application.
	 *
	 * @param type the request's type
	 * @param payload the request's payload, or {@code null}
	 * @return the reply
	 */
	public Imsg request(int type, @Nullable Object payload) {
		send(type, payload, null);
		return receive();
	}

	/**
	 * Sends a message with a descriptor and waits for the next one from the application.
	 *
	 * @param type the request's type
	 * @param payload the request's payload, or {@code null}
	 * @param fd the descriptor to send, or {@code null}
	 * @return the reply
	 */
	public Imsg request(int type, @Nullable Object payload, @Nullable OutboundFd fd) {
		send(type, payload, fd);
		return receive();
	}

	/**
	 * Sends a NUL-terminated string and returns the reply's payload as one, checking its type.
	 *
	 * @param type the request's type
	 * @param text the request's text
	 * @param replyType the type the reply must have
	 * @return the reply's text
	 */
	public String requestString(int type, String text, int replyType) {
		try (Imsg reply = request(type, text)) {
			if (reply.type() != replyType) {
				throw new AssertionError("expected a reply of type " + replyType + " to type " + type + ", got " + reply);
			}
			return cString(reply);
		}
	}

	/**
	 * Sends a message.
	 *
	 * @param type its type
	 * @param payload its payload, or {@code null}
	 * @param fd a descriptor to send, or {@code null}
	 */
	public void send(int type, @Nullable Object payload, @Nullable OutboundFd fd) {
		this.channel.compose(type, 0, 0, fd, encode(payload));
	}

	/**
	 * @return the next message from the application, owned by the caller
	 * @throws AssertionError when none comes within the timeout
	 */
	public Imsg receive() {
		Imsg m = this.channel.receive(this.timeout);
		if (m == null) {
			throw new AssertionError("no message from " + this.channel.name() + " within " + this.timeout);
		}
		return m;
	}

	/**
	 * @param message a message whose payload is a NUL-terminated string
	 * @return the string
	 */
	public static String cString(Imsg message) {
		return message.reader().getCString(message.length());
	}

	/**
	 * Takes the descriptor a message carries (the caller then owns it).
	 *
	 * @param message the message
	 * @return its descriptor
	 */
	public static FileDescriptor takeFd(Imsg message) {
		return message.takeFd();
	}

	/**
	 * @return the application's credentials, as the kernel gave them
	 */
	public PeerCredentials peer() {
		return this.channel.peerCredentials();
	}

	/**
	 * @return the underlying channel, for anything else
	 */
	public ImsgChannel channel() {
		return this.channel;
	}

	/** The starter's own encoding: the built-in types, and {@code @ImsgStruct} records. */
	private static final ImsgCodecs CODECS = new ImsgCodecs(java.util.List.of());

	static ByteBuffer encode(@Nullable Object payload) {
		return CODECS.encode(payload, Integer.MAX_VALUE);
	}

	@Override
	public void close() {
		this.channel.close();
	}
}
