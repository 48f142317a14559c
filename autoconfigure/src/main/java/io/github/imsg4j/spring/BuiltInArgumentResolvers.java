package io.github.imsg4j.spring;

import java.io.FileDescriptor;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Predicate;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PeerCredentials;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;

/** The resolvers for imsg's own argument types, and the payload resolvers asked after user-supplied ones. */
final class BuiltInArgumentResolvers {

	private BuiltInArgumentResolvers() {
	}

	/** Message, session, connection, credentials, descriptor and header fields. */
	static List<ImsgArgumentResolver> frameworkTypes() {
		return List.of(header(ImsgPeerId.class, Imsg::peerId), header(ImsgPid.class, Imsg::pid),
				header(ImsgType.class, Imsg::type),
				ofType(Imsg.class, (s, m) -> m),
				ofType(ImsgSession.class, (s, m) -> s),
				ofType(ImsgChannel.class, (s, m) -> s.channel()),
				ofType(PeerCredentials.class, (s, m) -> s.peer()),
				// The handler becomes the descriptor's owner; a message without one gives null.
				ofType(FileDescriptor.class, (s, m) -> m.hasFd() ? m.takeFd() : null));
	}

	/** The payload as bytes, buffer, reader, C string, or a type with a codec. */
	static List<ImsgArgumentResolver> payloadTypes(ImsgCodecs codecs) {
		return List.of(ofType(PayloadReader.class, (s, m) -> m.reader()),
				ofType(byte[].class, (s, m) -> m.bytes()),
				ofType(ByteBuffer.class, (s, m) -> m.payload()),
				ofType(String.class, (s, m) -> ImsgCodecs.decodeCString(m.reader())),
				new Resolver((p) -> p.getParameterAnnotations().length == 0 && codecs.codecFor(p.getParameterType()) != null,
						(p, s, m) -> codecs.decode(p.getParameterType(), m.reader())));
	}

	private static ImsgArgumentResolver ofType(Class<?> type, Fn fn) {
		return new Resolver((p) -> p.getParameterType() == type && !hasHeaderAnnotation(p), (p, s, m) -> fn.apply(s, m));
	}

	private static boolean hasHeaderAnnotation(MethodParameter p) {
		return p.hasParameterAnnotation(ImsgPeerId.class) || p.hasParameterAnnotation(ImsgPid.class)
				|| p.hasParameterAnnotation(ImsgType.class);
	}

	private static ImsgArgumentResolver header(Class<? extends Annotation> annotation, HeaderField field) {
		return new Resolver((p) -> p.hasParameterAnnotation(annotation) && isIntOrLong(p.getParameterType()),
				(p, s, m) -> {
					int v = field.get(m);
					Class<?> t = p.getParameterType();
					return (t == long.class || t == Long.class) ? (Object) Integer.toUnsignedLong(v) : (Object) v;
				});
	}

	private static boolean isIntOrLong(Class<?> t) {
		return t == int.class || t == Integer.class || t == long.class || t == Long.class;
	}

	@FunctionalInterface
	private interface Fn {
		@Nullable Object apply(ImsgSession session, Imsg message);
	}

	@FunctionalInterface
	private interface HeaderField {
		int get(Imsg message);
	}

	@FunctionalInterface
	private interface ResolveFn {
		@Nullable Object resolve(MethodParameter parameter, ImsgSession session, Imsg message) throws Exception;
	}

	private record Resolver(Predicate<MethodParameter> supports, ResolveFn fn) implements ImsgArgumentResolver {

		@Override
		public boolean supportsParameter(MethodParameter parameter) {
			return this.supports.test(parameter);
		}

		@Override
		public @Nullable Object resolveArgument(MethodParameter parameter, ImsgSession session, Imsg message)
				throws Exception {
			return this.fn.resolve(parameter, session, message);
		}
	}
}
