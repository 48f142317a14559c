package io.github.imsg4j.core;

import java.lang.reflect.Method;

import io.github.imsg4j.core.internal.SocketLayer;

/**
 * Which socket layer this process runs on, and why: the FFM layer of our own (Java 22+, built into imsg4j-core
 * from {@code src/main/java22}) or junixsocket. Programs on imsg4j log {@link #describe()} once at start, so that
 * a user can see which layer serves them; {@link #check()} turns an {@code imsg4j.transport} that asks for a layer
 * this process cannot have into one clear error.
 */
public final class ImsgSocketLayer {

	private ImsgSocketLayer() {
	}

	/**
	 * @return {@code ffm} or {@code junixsocket}
	 * @throws ImsgSocketLayerException when {@code imsg4j.transport} asks for a layer that cannot be had
	 */
	public static String name() {
		check();
		return SocketLayer.get().name();
	}

	/**
	 * One line for the start-up log: the layer, why, and whether native access is enabled (which both layers
	 * use: the FFM layer's downcalls, junixsocket's JNI library).
	 *
	 * @return e.g. {@code socket layer FFM (Java 25.0.3+9-LTS, native access enabled)}
	 */
	public static String describe() {
		return "socket layer " + SocketLayer.reason() + " (Java " + Runtime.version() + ", " + nativeAccess() + ")";
	}

	/**
	 * @throws ImsgSocketLayerException when {@code imsg4j.transport} asks for a layer that cannot be had, saying why
	 */
	public static void check() {
		if (!SocketLayer.available()) {
			throw new ImsgSocketLayerException(SocketLayer.reason());
		}
	}

	/** Whether this code may call native code without the JDK's warnings (Module.isNativeAccessEnabled, Java 22+). */
	private static String nativeAccess() {
		if (Runtime.version().feature() < 22) {
			return "native access needs no flag before Java 22";
		}
		try {
			Module module = ImsgSocketLayer.class.getModule();
			Method enabled = Module.class.getMethod("isNativeAccessEnabled");
			return ((Boolean) enabled.invoke(module)) ? "native access enabled"
					: "native access not enabled: add --enable-native-access=" + (module.isNamed() ? module.getName()
							: "ALL-UNNAMED") + " to the java command, or Enable-Native-Access to the jar's manifest";
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return "native access unknown";
		}
	}
}
