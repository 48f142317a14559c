package io.github.imsg4j.spring.processes;

import java.util.concurrent.CountDownLatch;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgChannel;

/**
 * A compromised worker, as its parent must assume one day: it takes its socket from the parent, then (first
 * argument) {@code hang-up}: closes it and stays alive; or {@code exit}: says why on its standard error and
 * exits with status 3 at once. Either way
 * it ignores {@code SIGTERM} and {@code SIGHUP} first, so only {@code SIGKILL} ends it.
 */
public final class StubbornWorker {

	private StubbornWorker() {
	}

	/**
	 * @param args {@code hang-up} or {@code exit}
	 * @throws Exception never: it waits until killed
	 */
	public static void main(String[] args) throws Exception {
		ignore("TERM");
		ignore("HUP");
		ImsgChannel parent = ImsgChannel.fromParent(3, ChannelOptions.defaults(), null);
		if ("exit".equals(args[0])) {
			System.err.println("stubborn worker: cannot start: imsg.endpoints.opener.path is taken");
			System.exit(3);
		}
		parent.abort();
		new CountDownLatch(1).await();
	}

	/** sun.misc.Signal (jdk.unsupported) by reflection: used directly, javac warns on every build. */
	private static void ignore(String signal) throws ReflectiveOperationException {
		Class<?> type = Class.forName("sun.misc.Signal");
		Class<?> handler = Class.forName("sun.misc.SignalHandler");
		Object nothing = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] { handler },
				(proxy, method, args) -> switch (method.getName()) {
					case "hashCode" -> System.identityHashCode(proxy);
					case "equals" -> proxy == args[0];
					case "toString" -> "ignore " + signal;
					default -> null; // handle(Signal): nothing
				});
		type.getMethod("handle", type, handler).invoke(null, type.getConstructor(String.class).newInstance(signal), nothing);
	}
}
