package io.github.imsg4j.core;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The build check on the core's public API: no public or protected signature of a type an application can
 * reach (its supertypes, fields, constructors, methods, their parameters, results, exceptions and type
 * arguments) names a type of {@code io.github.imsg4j.core.internal}, which may change at any time. A
 * signature that did would make the internal type part of the API whether anyone meant it or not.
 */
class PublicApiTest {

	private static final String API = "io.github.imsg4j.core";

	private static final String INTERNAL = API + ".internal";

	@Test
	void noPublicSignatureOfTheCoreNamesAnInternalType() throws Exception {
		Set<String> leaks = new TreeSet<>();
		for (JavaClass c : new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
			.importPackages(API)) {
			if (c.getPackageName().startsWith(INTERNAL)) {
				continue;
			}
			Class<?> type = Class.forName(c.getName(), false, getClass().getClassLoader());
			if (reachable(type)) {
				leaks.addAll(leaksOf(type));
			}
		}
		assertThat(leaks).as("public signatures naming %s types", INTERNAL).isEmpty();
	}

	@Test
	void theCheckFindsALeak() {
		assertThat(leaksOf(Leaky.class)).singleElement()
			.asString()
			.contains("Leaky.leak", "io.github.imsg4j.core.internal.Transport");
	}

	/** Public, and nested only in public types. */
	private static boolean reachable(Class<?> type) {
		for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
			if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass()) {
				return false;
			}
		}
		return true;
	}

	private static List<String> leaksOf(Class<?> type) {
		List<String> leaks = new ArrayList<>();
		String name = type.getName();
		check(leaks, name + " extends", type.getGenericSuperclass());
		for (Type i : type.getGenericInterfaces()) {
			check(leaks, name + " implements", i);
		}
		boolean subclassable = !Modifier.isFinal(type.getModifiers()) && !type.isSealed();
		for (Field f : type.getDeclaredFields()) {
			if (visible(f.getModifiers(), subclassable)) {
				check(leaks, name + "." + f.getName(), f.getGenericType());
			}
		}
		for (Constructor<?> c : type.getDeclaredConstructors()) {
			if (visible(c.getModifiers(), subclassable)) {
				checkAll(leaks, name + ".<init>", c.getGenericParameterTypes());
				checkAll(leaks, name + ".<init> throws", c.getGenericExceptionTypes());
			}
		}
		for (Method m : type.getDeclaredMethods()) {
			if (visible(m.getModifiers(), subclassable) && !m.isSynthetic() && !m.isBridge()) {
				String where = name.substring(name.lastIndexOf('.') + 1) + "." + m.getName();
				check(leaks, where, m.getGenericReturnType());
				checkAll(leaks, where, m.getGenericParameterTypes());
				checkAll(leaks, where + " throws", m.getGenericExceptionTypes());
			}
		}
		return leaks;
	}

	private static boolean visible(int modifiers, boolean subclassable) {
		return Modifier.isPublic(modifiers) || (subclassable && Modifier.isProtected(modifiers));
	}

	private static void checkAll(List<String> leaks, String where, Type[] types) {
		for (Type t : types) {
			check(leaks, where, t);
		}
	}

	private static void check(List<String> leaks, String where, Type t) {
		if (t instanceof Class<?> c) {
			Class<?> element = c;
			while (element.isArray()) {
				element = element.getComponentType();
			}
			if (element.getName().startsWith(INTERNAL + ".")) {
				leaks.add(where + ": " + element.getName());
			}
		}
		else if (t instanceof ParameterizedType p) {
			check(leaks, where, p.getRawType());
			checkAll(leaks, where, p.getActualTypeArguments());
		}
		else if (t instanceof GenericArrayType g) {
			check(leaks, where, g.getGenericComponentType());
		}
		else if (t instanceof WildcardType w) {
			checkAll(leaks, where, w.getUpperBounds());
			checkAll(leaks, where, w.getLowerBounds());
		}
		else if (t instanceof TypeVariable<?> v && !where.endsWith(" <" + v.getName() + ">")) {
			// a bound may name the variable again (E extends Enum<E>): walk each variable's bounds once
			checkAll(leaks, where + " <" + v.getName() + ">", v.getBounds());
		}
	}

	/** What the check must catch. */
	public static final class Leaky {

		public io.github.imsg4j.core.internal.@org.jspecify.annotations.Nullable Transport leak() {
			return null;
		}
	}
}
