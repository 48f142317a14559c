package io.github.imsg4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Marks a bean method as the handler of imsg messages of the given types.
 *
 * <p>Parameters are resolved by type and annotation: {@link io.github.imsg4j.core.Imsg} (the whole message; the
 * handler then owns it), {@link io.github.imsg4j.core.PayloadReader}, {@code byte[]}, {@link java.nio.ByteBuffer},
 * {@link String} (a NUL-terminated string filling the payload), {@link java.io.FileDescriptor} (the received
 * descriptor, now owned by the handler; {@code null} if none came), {@link io.github.imsg4j.core.PeerCredentials},
 * {@link ImsgSession}, {@code int} with {@link ImsgPeerId}, {@link ImsgPid} or {@link ImsgType}, any type an
 * {@link ImsgPayloadCodec} bean decodes, any record annotated {@link ImsgStruct}, and whatever an
 * {@link ImsgArgumentResolver} bean supports.
 *
 * <p>Return values: {@code void} (or {@code null}); an {@link ImsgReply}; or a payload ({@code byte[]},
 * {@link java.nio.ByteBuffer}, {@link String}, a struct or codec type) sent back as {@link #replyType()}; or a
 * {@link java.util.concurrent.CompletableFuture} of any of these.
 *
 * <p>Messages of one connection are handled one after another, in the order they arrived; different
 * connections in parallel.
 *
 * <p>In an AOT-processed application (a GraalVM native image) the method and the {@link ImsgStruct} records it
 * takes and returns are kept for reflection ({@link ImsgReflectiveProcessor}).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(ImsgReflectiveProcessor.class)
public @interface ImsgHandler {

	/**
	 * The message types handled (u32 values; {@code 0xFFFFFFFF} is fine as an int literal). Empty only for a
	 * {@link #fallback()} handler.
	 *
	 * @return the types
	 */
	int[] type() default {};

	/**
	 * Names of the endpoints, clients or processes ({@code imsg.endpoints.<name>}, {@code imsg.clients.<name>},
	 * {@code imsg.processes.<name>}) this handler serves; empty for all of them.
	 *
	 * @return the names
	 */
	String[] endpoints() default {};

	/**
	 * The type of the reply made from a returned payload; empty when the method returns nothing or an
	 * {@link ImsgReply} (which carries its own type). At most one value.
	 *
	 * @return the reply type, or nothing
	 */
	int[] replyType() default {};

	/**
	 * Whether this handler takes every message no typed handler takes, on its endpoints. At most one per
	 * endpoint.
	 *
	 * @return whether it is the catch-all handler
	 */
	boolean fallback() default false;
}
