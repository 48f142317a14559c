package io.github.imsg4j.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The demo daemon. Its configuration is {@code application.yml} in the working directory (the repository root
 * when run with the README's first command).
 */
@SpringBootApplication
@EnableConfigurationProperties(OpenerProperties.class)
public class DemoApplication {

	/**
	 * @param args Spring Boot arguments, e.g. {@code --imsg.endpoints.opener.path=/tmp/o.sock}
	 */
	public static void main(String[] args) {
		stopCleanlyOnSignals();
		SpringApplication.run(DemoApplication.class, args);
	}

	/**
	 * SIGTERM (a service manager, {@code kill}) and SIGINT (Ctrl-C) stop the daemon in order and exit 0: the
	 * shutdown hooks close the application (the parent stops and reaps its worker, the socket file is removed).
	 * The JVM's own handlers would do the same but exit 143 or 130, which {@code mvn spring-boot:run} reports as a
	 * failed build.
	 */
	private static void stopCleanlyOnSignals() {
		// sun.misc.Signal (module jdk.unsupported) through reflection: used directly, javac warns on every build
		try {
			Class<?> signal = Class.forName("sun.misc.Signal");
			Class<?> handler = Class.forName("sun.misc.SignalHandler");
			Object exitZero = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] { handler },
					(proxy, method, args) -> switch (method.getName()) {
						case "hashCode" -> System.identityHashCode(proxy);
						case "equals" -> proxy == args[0];
						case "toString" -> "exit 0";
						default -> {
							new Thread(() -> System.exit(0), "demo-stop").start(); // handle(Signal)
							yield null;
						}
					});
			for (String name : new String[] { "TERM", "INT" }) {
				try {
					signal.getMethod("handle", signal, handler)
						.invoke(null, signal.getConstructor(String.class).newInstance(name), exitZero);
				}
				catch (java.lang.reflect.InvocationTargetException ex) {
					// the JVM keeps this signal for itself (-Xrs): its own handling stands
				}
			}
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			// no sun.misc.Signal in this JDK: the JVM's own handling (exit 143 or 130) stands
		}
	}
}
