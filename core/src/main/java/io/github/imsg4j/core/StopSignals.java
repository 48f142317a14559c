package io.github.imsg4j.core;

/**
 * SIGTERM and SIGINT as a request to stop, for the programs on imsg4j that must exit 0 once they have cleaned up
 * (a daemon under a service manager, {@code mvn spring-boot:run}, the bench protocol's servers): the JVM's own
 * handling exits with 143 or 130. Reached through reflection ({@code sun.misc.Signal}, module
 * {@code jdk.unsupported}), which javac would otherwise warn about on every build.
 */
public final class StopSignals {

	private StopSignals() {
	}

	/**
	 * Runs {@code onStop} on a thread of its own when the process gets SIGTERM or SIGINT, in place of the JVM's
	 * handling.
	 *
	 * @param onStop what to do; it should end the process itself ({@link System#exit}) or let the main thread do so
	 * @return {@code false} when this JDK has no {@code sun.misc.Signal} or keeps the signals (-Xrs): the JVM's
	 *         own handling stands
	 */
	public static boolean onStop(Runnable onStop) {
		try {
			Class<?> signal = Class.forName("sun.misc.Signal");
			Class<?> handler = Class.forName("sun.misc.SignalHandler");
			Object run = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] { handler },
					(proxy, method, args) -> switch (method.getName()) {
						case "hashCode" -> System.identityHashCode(proxy);
						case "equals" -> proxy == args[0];
						case "toString" -> "stop";
						default -> {
							new Thread(onStop, "imsg4j-stop").start(); // handle(Signal)
							yield null;
						}
					});
			for (String name : new String[] { "TERM", "INT" }) {
				signal.getMethod("handle", signal, handler)
					.invoke(null, signal.getConstructor(String.class).newInstance(name), run);
			}
			return true;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return false;
		}
	}
}
