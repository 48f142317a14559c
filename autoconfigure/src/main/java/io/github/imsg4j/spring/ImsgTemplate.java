package io.github.imsg4j.spring;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.OutboundFd;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Sends imsg messages from any bean: to a session (a reply, or a message later), to a named client
 * ({@code imsg.clients.<name>}), or to every session of an endpoint; and sends a request and waits for its
 * reply. Payloads are {@code byte[]}, {@link java.nio.ByteBuffer}, {@link String} (sent NUL-terminated),
 * {@link ImsgStruct} records or types with an {@link ImsgPayloadCodec}.
 *
 * <p>A descriptor goes with a message as an {@link OutboundFd}: {@link OutboundFd#transfer} hands it over (the
 * channel closes it once sent, or at once if sending fails), {@link OutboundFd#keepOpen} lends it (the caller
 * closes it, after the send returns), {@link OutboundFd#openReadOnly} opens a path for the message alone.
 */
public class ImsgTemplate {

	private static final Log LOG = LogFactory.getLog(ImsgTemplate.class);

	private final ImsgEndpointRegistry registry;

	private final ImsgObservations observations;

	/**
	 * @param registry the application's endpoints and clients
	 */
	public ImsgTemplate(ImsgEndpointRegistry registry) {
		this(registry, ImsgObservations.NONE);
	}

	/**
	 * @param registry the application's endpoints and clients
	 * @param observations observations of sends and requests by client name
	 */
	public ImsgTemplate(ImsgEndpointRegistry registry, ImsgObservations observations) {
		this.registry = registry;
		this.observations = observations;
	}

	/**
	 * Sends to one connection.
	 *
	 * @param session the connection
	 * @param type message type
	 * @param payload the payload, or {@code null}
	 */
	public void send(ImsgSession session, int type, @Nullable Object payload) {
		session.send(type, 0, payload, null);
	}

	/**
	 * Sends to one connection, with a peer id and optionally a descriptor.
	 *
	 * @param session the connection
	 * @param type message type
	 * @param peerid the header's peer id
	 * @param payload the payload, or {@code null}
	 * @param fd the descriptor, or {@code null}
	 */
	public void send(ImsgSession session, int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd) {
		session.send(type, peerid, payload, fd);
	}

	/**
	 * Sends over a named client connection, waiting up to its connect timeout for it to be connected.
	 *
	 * @param client the client's name
	 * @param type message type
	 * @param payload the payload, or {@code null}
	 */
	public void send(String client, int type, @Nullable Object payload) {
		send(client, type, 0, payload, null);
	}

	/**
	 * Sends over a named client connection, with a peer id and optionally a descriptor.
	 *
	 * @param client the client's name
	 * @param type message type
	 * @param peerid the header's peer id
	 * @param payload the payload, or {@code null}
	 * @param fd the descriptor, or {@code null}; closed if it was transferred and the client is not connected
	 */
	public void send(String client, int type, int peerid, @Nullable Object payload, @Nullable OutboundFd fd) {
		ImsgSession session;
		try {
			session = this.registry.client(client).session();
		}
		catch (RuntimeException ex) {
			ImsgSession.closeUnsent(fd);
			throw ex;
		}
		ImsgObservations.Scope observed = this.observations.sending(client, Integer.toUnsignedString(type), "send");
		try {
			session.send(type, peerid, payload, fd);
			observed.stop(null);
		}
		catch (RuntimeException ex) {
			observed.stop(ex);
			throw ex;
		}
	}

	/**
	 * Sends the same message (without a descriptor) to every open session of an endpoint. A session that
	 * fails (closed meanwhile, queue full) is skipped and logged.
	 *
	 * @param endpoint the endpoint's name
	 * @param type message type
	 * @param payload the payload, or {@code null}
	 * @return how many sessions it was queued to
	 */
	public int broadcast(String endpoint, int type, @Nullable Object payload) {
		int sent = 0;
		for (ImsgSession s : this.registry.endpoint(endpoint).sessions()) {
			try {
				s.send(type, 0, payload, null);
				sent++;
			}
			catch (ImsgException ex) {
				LOG.debug("Broadcast skipped " + s + ": " + ex.getMessage());
			}
		}
		return sent;
	}

	/**
	 * Sends a request over a named client and waits for the next message of {@code replyType}. The caller owns
	 * the reply and should close it.
	 *
	 * @param client the client's name
	 * @param type the request type
	 * @param payload the request payload, or {@code null}
	 * @param replyType the awaited type
	 * @param timeout how long to wait for the reply
	 * @return the reply
	 * @throws ImsgException when sending fails or the connection closes first
	 * @throws ImsgReplyTimeoutException when no reply came in time
	 */
	public Imsg sendAndReceive(String client, int type, @Nullable Object payload, int replyType, Duration timeout) {
		return sendAndReceive(client, type, payload, null, ImsgSession.replyTypes(replyType), timeout);
	}

	/**
	 * Sends a request, with a descriptor if given, over a named client (or process), and waits for the next
	 * message that {@code reply} accepts: one of several types ({@link ImsgSession#replyTypes}), or any test of
	 * the message. The caller owns the reply and should close it.
	 *
	 * @param client the client's or process's name
	 * @param type the request type
	 * @param payload the request payload, or {@code null}
	 * @param fd a descriptor to send with the request, or {@code null}; on failure a transferred one is closed
	 * @param reply which message is the reply
	 * @param timeout how long to wait for it
	 * @return the reply
	 * @throws ImsgException when sending fails or the connection closes first
	 * @throws ImsgReplyTimeoutException when no reply came in time
	 */
	public Imsg sendAndReceive(String client, int type, @Nullable Object payload, @Nullable OutboundFd fd,
			Predicate<Imsg> reply, Duration timeout) {
		ImsgObservations.Scope observed = this.observations.sending(client, Integer.toUnsignedString(type), "request");
		try {
			Imsg answer = await(this.registry.client(client).session().request(type, payload, fd, reply, timeout), client);
			observed.stop(null);
			return answer;
		}
		catch (RuntimeException ex) {
			observed.stop(ex);
			throw ex;
		}
	}

	/**
	 * {@link #sendAndReceive(String, int, Object, int, Duration)} with the reply's payload decoded as {@code as}: a
	 * {@code String} (a C string, up to its NUL), {@code byte[]}, an {@code @ImsgStruct} record, or a type a codec
	 * bean reads; the reply is closed (a descriptor that came with it too: use the {@link Imsg} form to take one).
	 *
	 * @param <T> the reply's Java type
	 * @param client the client's or process's name
	 * @param type the request type
	 * @param payload the request payload, or {@code null}
	 * @param replyType the awaited type
	 * @param as what to decode the reply's payload as
	 * @param timeout how long to wait for it
	 * @return the decoded reply
	 * @throws io.github.imsg4j.core.ImsgPayloadException when the payload does not fit {@code as}
	 */
	public <T> T sendAndReceive(String client, int type, @Nullable Object payload, int replyType, Class<T> as,
			Duration timeout) {
		try (Imsg reply = sendAndReceive(client, type, payload, replyType, timeout)) {
			if (as == String.class) {
				return as.cast(ImsgCodecs.decodeCString(reply.reader()));
			}
			if (as == byte[].class) {
				return as.cast(reply.bytes());
			}
			return this.registry.codecs().decode(as, reply.reader());
		}
	}

	/**
	 * Sends a request on a session and waits for the next message of {@code replyType} on it.
	 *
	 * @param session the connection
	 * @param type the request type
	 * @param payload the request payload, or {@code null}
	 * @param fd a descriptor to send, or {@code null}
	 * @param replyType the awaited type
	 * @param timeout how long to wait for the reply
	 * @return the reply, owned by the caller
	 */
	public Imsg sendAndReceive(ImsgSession session, int type, @Nullable Object payload, @Nullable OutboundFd fd,
			int replyType, Duration timeout) {
		return await(session.request(type, payload, fd, replyType, timeout), session.toString());
	}

	/**
	 * The asynchronous form of {@link #sendAndReceive(String, int, Object, int, Duration)}.
	 *
	 * @param client the client's name
	 * @param type the request type
	 * @param payload the request payload, or {@code null}
	 * @param replyType the awaited type
	 * @param timeout how long to wait for the reply
	 * @return the reply, owned by whoever takes it from the future
	 */
	public CompletableFuture<Imsg> request(String client, int type, @Nullable Object payload, int replyType,
			Duration timeout) {
		return this.registry.client(client).session().request(type, payload, null, replyType, timeout);
	}

	private static Imsg await(CompletableFuture<Imsg> reply, String where) {
		try {
			return reply.get();
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof RuntimeException re) {
				throw re;
			}
			throw new IllegalStateException(cause);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			reply.cancel(false);
			throw new IllegalStateException("interrupted waiting for a reply on " + where, ex);
		}
	}
}
