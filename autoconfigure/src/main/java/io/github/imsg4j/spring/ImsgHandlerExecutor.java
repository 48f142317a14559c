package io.github.imsg4j.spring;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

import org.springframework.beans.factory.DisposableBean;

/**
 * The executor that runs handler methods, wrapped in its own type so that declaring it does not displace Spring
 * Boot's {@code applicationTaskExecutor} (which backs off when any {@link Executor} bean exists). Declare a bean
 * of this type to run handlers elsewhere.
 */
public final class ImsgHandlerExecutor implements Executor, DisposableBean {

	private final Executor delegate;

	private final boolean owned;

	private final boolean inline;

	/**
	 * @param delegate where handlers run
	 * @param owned whether this wrapper shuts the delegate down with the context
	 */
	public ImsgHandlerExecutor(Executor delegate, boolean owned) {
		this(delegate, owned, false);
	}

	private ImsgHandlerExecutor(Executor delegate, boolean owned, boolean inline) {
		this.delegate = delegate;
		this.owned = owned;
		this.inline = inline;
	}

	/**
	 * Handlers run on the thread that received the message: the connection's event loop
	 * ({@code imsg.handlers.inline=true}). No thread hop per message, but a handler that blocks stalls every
	 * connection of that loop, and a reply that does not fit the write queue fails at once instead of waiting.
	 *
	 * @return the executor
	 */
	public static ImsgHandlerExecutor inline() {
		return new ImsgHandlerExecutor(Runnable::run, false, true);
	}

	/**
	 * @return whether handlers run on the receiving event-loop thread ({@link #inline()})
	 */
	public boolean isInline() {
		return this.inline;
	}

	@Override
	public void execute(Runnable command) {
		this.delegate.execute(command);
	}

	@Override
	public void destroy() throws Exception {
		if (!this.owned) {
			return;
		}
		if (this.delegate instanceof ExecutorService es) {
			es.shutdown();
		}
		else if (this.delegate instanceof AutoCloseable c) {
			c.close();
		}
	}
}
