package io.github.imsg4j.spring;

import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PayloadWriter;

/**
 * Turns a payload into a Java object and back. Register one as a bean and handler parameters and return
 * values of its type are decoded and encoded with it. For fixed-layout C structs an {@link ImsgStruct} record
 * needs no codec at all.
 *
 * @param <T> the Java type
 */
public interface ImsgPayloadCodec<T> {

	/**
	 * @return the Java type this codec handles (exactly: no subtypes)
	 */
	Class<T> type();

	/**
	 * Decodes a whole payload. Throw {@link io.github.imsg4j.core.ImsgPayloadException} (the reader does so
	 * itself on short reads) when the payload does not fit the type; leftover bytes are an error too.
	 *
	 * @param payload the payload, positioned at its start
	 * @return the value
	 */
	T decode(PayloadReader payload);

	/**
	 * Encodes a value as a payload.
	 *
	 * @param value the value
	 * @param out where to write it
	 */
	void encode(T value, PayloadWriter<?> out);
}
