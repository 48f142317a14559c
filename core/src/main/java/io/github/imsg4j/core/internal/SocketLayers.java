package io.github.imsg4j.core.internal;

/** Picks the process's {@link SocketLayer} once. */
final class SocketLayers {

	static final SocketLayer INSTANCE = choose();

	private SocketLayers() {
	}

	private static SocketLayer choose() {
		String wanted = System.getProperty(SocketLayer.PROPERTY, "");
		if (wanted.equals("junixsocket")) {
			return new JunixSocketLayer();
		}
		if (!wanted.isEmpty() && !wanted.equals("ffm")) {
			throw new IllegalStateException(SocketLayer.PROPERTY + "=" + wanted + ": expected ffm or junixsocket");
		}
		Throwable why = null;
		if (Runtime.version().feature() >= 22) {
			try {
				return (SocketLayer) Class.forName("io.github.imsg4j.core.internal.ffm.FfmSocketLayer")
					.getDeclaredConstructor().newInstance();
			}
			catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
				why = ex; // built on JDK 17 (no FFM classes), or native access denied
			}
		}
		if (wanted.equals("ffm")) {
			throw new IllegalStateException(SocketLayer.PROPERTY + "=ffm, but the FFM transport is not available on "
					+ "Java " + Runtime.version() + ((why != null) ? ": " + why : " (it needs Java 22 or later)"), why);
		}
		return new JunixSocketLayer();
	}
}
