package io.github.imsg4j.spring;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import io.github.imsg4j.core.Imsg;
import org.jspecify.annotations.Nullable;

import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.util.ReflectionUtils;

/**
 * An {@link ImsgHandler} method bound to its bean, with a resolver chosen for each parameter at start-up.
 */
final class ImsgHandlerMethod {

	private final Object bean;

	private final Method method;

	private final ImsgHandler annotation;

	private final MethodParameter[] parameters;

	private final ImsgArgumentResolver[] resolvers;

	/** The method bound to its bean, taking its arguments as one array: faster per call than Method.invoke on 17. */
	private final MethodHandle invoker;

	/** The annotation's replyType, read once: an annotation hands out a fresh array on every call. */
	private final @Nullable Integer replyType;

	ImsgHandlerMethod(Object bean, Method method, ImsgHandler annotation, List<ImsgArgumentResolver> chain,
			ImsgCodecs codecs) {
		this.bean = bean;
		this.method = method;
		this.annotation = annotation;
		ReflectionUtils.makeAccessible(method);
		int n = method.getParameterCount();
		this.parameters = new MethodParameter[n];
		this.resolvers = new ImsgArgumentResolver[n];
		for (int i = 0; i < n; i++) {
			MethodParameter p = new MethodParameter(method, i);
			p.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
			this.parameters[i] = p;
			this.resolvers[i] = chain.stream().filter((r) -> r.supportsParameter(p)).findFirst()
				.orElseThrow(() -> new ImsgHandlerDefinitionException(this + ": no argument resolver supports parameter " + p.getParameterIndex()
						+ " (" + p.getParameterType().getSimpleName() + "); handler parameters may be Imsg, PayloadReader, byte[], "
						+ "ByteBuffer, String, FileDescriptor, PeerCredentials, ImsgSession, ImsgChannel, int/long with "
						+ "@ImsgPeerId/@ImsgPid/@ImsgType, an @ImsgStruct record, a type with an ImsgPayloadCodec bean, "
						+ "or what an ImsgArgumentResolver bean supports"));
		}
		checkReturnType(codecs);
		int[] reply = annotation.replyType();
		this.replyType = (reply.length == 1) ? reply[0] : null;
		try {
			this.invoker = MethodHandles.lookup().unreflect(method).bindTo(bean).asSpreader(Object[].class, n)
				.asType(MethodType.methodType(Object.class, Object[].class));
		}
		catch (IllegalAccessException ex) {
			throw new ImsgHandlerDefinitionException(this + " cannot be called: " + ex.getMessage(), ex);
		}
		if (annotation.type().length == 0 && !annotation.fallback()) {
			throw new ImsgHandlerDefinitionException(this + ": @ImsgHandler needs at least one type, or fallback = true");
		}
		if (annotation.type().length > 0 && annotation.fallback()) {
			throw new ImsgHandlerDefinitionException(this + ": a fallback handler takes every unhandled type; give it no type list");
		}
	}

	private void checkReturnType(ImsgCodecs codecs) {
		Class<?> ret = this.method.getReturnType();
		int[] reply = this.annotation.replyType();
		if (reply.length > 1) {
			throw new ImsgHandlerDefinitionException(this + ": replyType takes at most one value");
		}
		if (ret == void.class || ret == Void.class) {
			if (reply.length == 1) {
				throw new ImsgHandlerDefinitionException(this + ": declares replyType but returns void");
			}
			return;
		}
		if (ret == ImsgReply.class || ret == Object.class || CompletionStage.class.isAssignableFrom(ret)) {
			return; // checked per value
		}
		if (reply.length == 0) {
			throw new ImsgHandlerDefinitionException(this + ": returns " + ret.getSimpleName()
					+ " but declares no replyType; set @ImsgHandler(replyType = ...) or return ImsgReply");
		}
		if (!codecs.canEncode(ret)) {
			throw new ImsgHandlerDefinitionException(this + ": returns " + ret.getName()
					+ ", which no payload codec encodes (use byte[], ByteBuffer, String, an @ImsgStruct record, or an ImsgPayloadCodec bean)");
		}
	}

	/**
	 * @return the types this method handles
	 */
	public int[] types() {
		return this.annotation.type().clone();
	}

	/**
	 * @return the endpoints it is restricted to; empty for all
	 */
	public Set<String> endpoints() {
		return Set.of(this.annotation.endpoints());
	}

	/**
	 * @return whether it is a catch-all handler
	 */
	public boolean isFallback() {
		return this.annotation.fallback();
	}

	/**
	 * @return the reply type for returned payloads, or {@code null}
	 */
	public @Nullable Integer replyType() {
		return this.replyType;
	}

	/**
	 * @return the method
	 */
	public Method method() {
		return this.method;
	}

	/**
	 * Resolves the arguments and calls the method.
	 *
	 * @param session the connection
	 * @param message the message
	 * @return what the method returned
	 * @throws Throwable what argument resolution or the method threw
	 */
	@Nullable Object invoke(ImsgSession session, Imsg message) throws Throwable {
		Object[] args = new Object[this.parameters.length];
		for (int i = 0; i < args.length; i++) {
			args[i] = this.resolvers[i].resolveArgument(this.parameters[i], session, message);
		}
		return (Object) this.invoker.invokeExact(args);
	}

	@Override
	public String toString() {
		return this.method.getDeclaringClass().getName() + "." + this.method.getName()
				+ Arrays.stream(this.method.getParameterTypes()).map(Class::getSimpleName)
					.reduce((a, b) -> a + ", " + b).map((s) -> "(" + s + ")").orElse("()");
	}
}
