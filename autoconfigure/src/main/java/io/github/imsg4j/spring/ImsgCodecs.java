package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.imsg4j.core.ImsgPayloadException;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PayloadWriter;
import org.jspecify.annotations.Nullable;

/**
 * Every way a payload becomes an object and back: the built-in {@code byte[]}, {@link ByteBuffer} and
 * NUL-terminated {@link String}, the {@link ImsgPayloadCodec} beans, and {@link ImsgStruct} records.
 */
public final class ImsgCodecs {

	private final Map<Class<?>, ImsgPayloadCodec<?>> codecs = new ConcurrentHashMap<>();

	/**
	 * @param registered the codecs to use before any built-in one; two for one type is an error
	 */
	public ImsgCodecs(Collection<? extends ImsgPayloadCodec<?>> registered) {
		for (ImsgPayloadCodec<?> codec : registered) {
			ImsgPayloadCodec<?> other = this.codecs.putIfAbsent(codec.type(), codec);
			if (other != null) {
				throw new IllegalStateException("two payload codecs for " + codec.type().getName() + ": " + other
						+ " and " + codec);
			}
		}
	}

	/**
	 * The codec for a type: a registered one, or the struct codec of an {@link ImsgStruct} record.
	 *
	 * @param type the Java type
	 * @return the codec, or {@code null} if there is none
	 * @throws IllegalArgumentException when {@code type} is an {@code @ImsgStruct} record that cannot be laid out
	 */
	@SuppressWarnings({ "unchecked", "rawtypes" })
	public @Nullable ImsgPayloadCodec<?> codecFor(Class<?> type) {
		ImsgPayloadCodec<?> codec = this.codecs.get(type);
		if (codec == null && type.isRecord() && type.isAnnotationPresent(ImsgStruct.class)) {
			codec = this.codecs.computeIfAbsent(type, (t) -> StructCodec.of((Class) t));
		}
		return codec;
	}

	/**
	 * Whether {@link #encode} accepts values of this type.
	 *
	 * @param type a Java type
	 * @return {@code true} for the built-in payload types and types with a codec
	 */
	public boolean canEncode(Class<?> type) {
		return type == byte[].class || ByteBuffer.class.isAssignableFrom(type) || type == String.class
				|| codecFor(type) != null;
	}

	/**
	 * Encodes a payload: {@code byte[]} and {@link ByteBuffer} as they are, a {@link String} with its terminating
	 * NUL, anything else through its codec.
	 *
	 * @param value the payload, or {@code null} for an empty one
	 * @param limit the most bytes it may have
	 * @return the bytes
	 */
	@SuppressWarnings({ "unchecked", "rawtypes" })
	public ByteBuffer encode(@Nullable Object value, int limit) {
		if (value == null) {
			return ByteBuffer.allocate(0);
		}
		if (value instanceof byte[] bytes) {
			return ByteBuffer.wrap(bytes);
		}
		if (value instanceof ByteBuffer buf) {
			return buf.duplicate();
		}
		if (value instanceof String s) {
			return ByteBuffer.wrap((s + "\0").getBytes(StandardCharsets.UTF_8));
		}
		ImsgPayloadCodec codec = codecFor(value.getClass());
		if (codec == null) {
			throw new IllegalArgumentException("no payload codec for " + value.getClass().getName()
					+ ": use byte[], ByteBuffer, String, an @ImsgStruct record, or register an ImsgPayloadCodec bean");
		}
		PayloadWriter.Plain out = PayloadWriter.create(limit);
		codec.encode(value, out);
		return out.buffer();
	}

	/**
	 * Reads a NUL-terminated string that fills the payload exactly, as {@code ibuf_get_string} over the whole
	 * payload would.
	 *
	 * @param payload the payload
	 * @return the string without its NUL
	 * @throws ImsgPayloadException when the payload is empty, has no NUL, or has bytes after it
	 */
	public static String decodeCString(PayloadReader payload) {
		int len = payload.remaining();
		if (len == 0) {
			throw new ImsgPayloadException("empty payload where a NUL-terminated string was expected");
		}
		String s = payload.getCString(len);
		if (payload.hasRemaining()) {
			throw new ImsgPayloadException("payload has " + payload.remaining()
					+ " bytes after the string's terminating NUL");
		}
		return s;
	}

	/**
	 * Decodes a whole payload with the codec for {@code type}, rejecting leftover bytes.
	 *
	 * @param <T> the type
	 * @param type the Java type
	 * @param payload the payload
	 * @return the value
	 */
	@SuppressWarnings("unchecked")
	public <T> T decode(Class<T> type, PayloadReader payload) {
		ImsgPayloadCodec<T> codec = (ImsgPayloadCodec<T>) codecFor(type);
		if (codec == null) {
			throw new IllegalArgumentException("no payload codec for " + type.getName());
		}
		T value = codec.decode(payload);
		if (payload.hasRemaining()) {
			throw new ImsgPayloadException("payload has " + payload.remaining() + " bytes more than "
					+ type.getSimpleName() + " takes");
		}
		return value;
	}
}
