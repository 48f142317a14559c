package io.github.imsg4j.spring;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.concurrent.CompletionStage;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.ReflectionHints;
import org.springframework.aot.hint.annotation.SimpleReflectiveProcessor;

/**
 * What an AOT-processed application (a GraalVM native image) must keep for imsg: each {@link ImsgHandler}
 * method, invoked reflectively, and every {@link ImsgStruct} record it takes or returns, which
 * {@link StructCodec} reads through its record components and builds through its canonical constructor (nested
 * structs included). Spring's AOT engine applies it to the methods of every bean annotated with
 * {@code @ImsgHandler}, and to {@code @ImsgStruct} records found by {@code @ReflectiveScan} (for records that
 * are only sent through {@link ImsgTemplate}).
 */
public class ImsgReflectiveProcessor extends SimpleReflectiveProcessor {

	@Override
	protected void registerTypeHint(ReflectionHints hints, Class<?> type) {
		registerStruct(hints, type);
	}

	@Override
	protected void registerMethodHint(ReflectionHints hints, Method method) {
		super.registerMethodHint(hints, method);
		for (Type parameter : method.getGenericParameterTypes()) {
			registerStruct(hints, payloadType(parameter));
		}
		registerStruct(hints, payloadType(method.getGenericReturnType()));
	}

	/** {@code CompletableFuture<Reply>} and other completion stages reply with their value. */
	private static Class<?> payloadType(Type type) {
		if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw
				&& CompletionStage.class.isAssignableFrom(raw)) {
			return payloadType(p.getActualTypeArguments()[0]);
		}
		if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
			return raw;
		}
		return (type instanceof Class<?> c) ? c : Object.class;
	}

	private static void registerStruct(ReflectionHints hints, Class<?> type) {
		if (!type.isRecord() || !type.isAnnotationPresent(ImsgStruct.class)) {
			return;
		}
		hints.registerType(type, MemberCategory.INVOKE_DECLARED_CONSTRUCTORS, MemberCategory.INVOKE_PUBLIC_METHODS,
				MemberCategory.ACCESS_DECLARED_FIELDS);
		for (RecordComponent component : type.getRecordComponents()) {
			Class<?> member = component.getType().isArray() ? component.getType().getComponentType()
					: component.getType();
			registerStruct(hints, member);
		}
	}
}
