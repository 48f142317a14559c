package io.github.imsg4j.core.internal;

import org.jspecify.annotations.Nullable;

/**
 * Picks the process's {@link SocketLayer} once, and remembers why: the layer's one start-up line names it and the
 * reason, and a layer that was asked for but cannot be had is reported the same way each time it is needed.
 */
final class SocketLayers {

	private static final String FFM_CLASS = "io.github.imsg4j.core.internal.ffm.FfmSocketLayer";

	private static final Choice CHOICE = choose();

	private SocketLayers() {
	}

	/**
	 * The outcome: a layer and why it was chosen, or, when {@code imsg4j.transport=ffm} asked for one that cannot be
	 * had, no layer and why not.
	 */
	record Choice(@Nullable SocketLayer layer, String reason) {
	}

	static Choice choice() {
		return CHOICE;
	}

	static SocketLayer get() {
		SocketLayer layer = CHOICE.layer();
		if (layer == null) {
			throw new io.github.imsg4j.core.ImsgSocketLayerException(CHOICE.reason());
		}
		return layer;
	}

	private static Choice choose() {
		String wanted = System.getProperty(SocketLayer.PROPERTY, "");
		if (wanted.equals("junixsocket")) {
			return new Choice(new JunixSocketLayer(), "junixsocket: forced by " + SocketLayer.PROPERTY);
		}
		if (!wanted.isEmpty() && !wanted.equals("ffm")) {
			return new Choice(null, SocketLayer.PROPERTY + "=" + wanted + ": expected ffm or junixsocket");
		}
		String why;
		if (Runtime.version().feature() < 22) {
			why = "Java " + Runtime.version().feature() + " (the FFM layer needs Java 22 or later)";
		}
		else if (SocketLayers.class.getClassLoader().getResource(FFM_CLASS.replace('.', '/') + ".class") == null) {
			why = "this imsg4j-core was built without the Java 22 classes; rebuild it on a machine with a JDK >= 22";
		}
		else {
			try {
				SocketLayer ffm = (SocketLayer) Class.forName(FFM_CLASS).getDeclaredConstructor().newInstance();
				return new Choice(ffm, "FFM" + (wanted.isEmpty() ? "" : ": asked for by " + SocketLayer.PROPERTY));
			}
			catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
				why = "the FFM layer failed to load: " + ex;
			}
		}
		if (wanted.equals("ffm")) {
			return new Choice(null, SocketLayer.PROPERTY + "=ffm, but the FFM socket layer cannot be used: " + why);
		}
		return new Choice(new JunixSocketLayer(), "junixsocket: " + why);
	}
}
