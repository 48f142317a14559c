package io.github.imsg4j.spring;

import io.github.imsg4j.core.Imsg;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;

/**
 * Supplies one kind of {@link ImsgHandler} method argument, as spring-messaging's
 * {@code HandlerMethodArgumentResolver} does. Declare a bean to add your own; they are asked after the built-in
 * resolvers for imsg's own types and before payload decoding. Every parameter of every handler must be
 * supported by some resolver, or the application does not start.
 */
public interface ImsgArgumentResolver {

	/**
	 * Asked once per parameter, at start-up.
	 *
	 * @param parameter a handler method's parameter
	 * @return whether this resolver supplies it
	 */
	boolean supportsParameter(MethodParameter parameter);

	/**
	 * Asked per message.
	 *
	 * @param parameter the parameter
	 * @param session the connection the message came on
	 * @param message the message
	 * @return the argument
	 * @throws Exception when the message does not give what the parameter needs; goes to the
	 *         {@link ImsgErrorHandler}
	 */
	@Nullable Object resolveArgument(MethodParameter parameter, ImsgSession session, Imsg message) throws Exception;
}
