package io.github.imsg4j.spring;

import io.github.imsg4j.core.OutboundFd;
import org.jspecify.annotations.Nullable;

/**
 * A reply returned by an {@link ImsgHandler} method (or sent with {@link ImsgSession#send(ImsgReply)}).
 *
 * @param type the reply's message type
 * @param peerId the header's peer id, or {@code null} to echo the request's (0 when there is no request)
 * @param payload the payload: {@code byte[]}, {@link java.nio.ByteBuffer}, {@link String} (sent NUL-terminated),
 *        an {@link ImsgStruct} record or any type with an {@link ImsgPayloadCodec}; {@code null} for none
 * @param fd a descriptor to pass along, with its ownership as {@link OutboundFd} says; if the reply cannot be
 *        sent a transferred descriptor is closed, so it never leaks
 */
public record ImsgReply(int type, @Nullable Integer peerId, @Nullable Object payload, @Nullable OutboundFd fd) {

	/**
	 * @param type the reply type
	 * @param payload the payload, or {@code null}
	 * @return a reply echoing the request's peer id, without a descriptor
	 */
	public static ImsgReply of(int type, @Nullable Object payload) {
		return new ImsgReply(type, null, payload, null);
	}

	/**
	 * @param descriptor the descriptor to send
	 * @return a copy carrying it
	 */
	public ImsgReply withFd(OutboundFd descriptor) {
		return new ImsgReply(this.type, this.peerId, this.payload, descriptor);
	}

	/**
	 * @param id the peer id to put in the header
	 * @return a copy with that peer id
	 */
	public ImsgReply withPeerId(int id) {
		return new ImsgReply(this.type, id, this.payload, this.fd);
	}
}
