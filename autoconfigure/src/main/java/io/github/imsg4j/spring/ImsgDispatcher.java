package io.github.imsg4j.spring;

import java.util.concurrent.CompletionStage;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.WireFormat;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Takes each received message to its handler: on the session's ordered executor, through argument resolution,
 * the method, the reply, and the error handler. Closes every message when its handler is done with it, so a
 * descriptor the handler did not take is never leaked.
 */
final class ImsgDispatcher {

	private static final Log LOG = LogFactory.getLog(ImsgDispatcher.class);

	private final ImsgHandlerRegistry handlers;

	private final ImsgErrorHandler errorHandler;

	private final ImsgMetrics metrics;

	private final ImsgObservations observations;

	ImsgDispatcher(ImsgHandlerRegistry handlers, ImsgErrorHandler errorHandler, ImsgMetrics metrics,
			ImsgObservations observations) {
		this.handlers = handlers;
		this.errorHandler = errorHandler;
		this.metrics = metrics;
		this.observations = observations;
	}

	/**
	 * The routes of one endpoint, for {@link #onMessage}: resolved once per connection.
	 *
	 * @param endpoint the endpoint or client name
	 * @return its routes
	 */
	ImsgHandlerRegistry.Routes routes(String endpoint) {
		return this.handlers.routes(endpoint);
	}

	/** On the event loop: hands the message to a waiting request or queues it for its handler. */
	void onMessage(ImsgSession session, ImsgHandlerRegistry.Routes routes, Imsg message,
			UnhandledMessagePolicy unhandled) {
		session.touch();
		this.metrics.messageReceived(session.endpoint(), routes.typeTag(message.type()),
				WireFormat.HEADER_SIZE + message.length(), message.hasFd());
		if (message.fdLost()) {
			session.warn(LOG, message + " on " + session + " claims a descriptor that did not arrive (fd-passing is off "
					+ "on this endpoint, or the peer sent none); delivered without it, as imsg does");
		}
		if (session.offerToWaiter(message)) {
			return;
		}
		if (session.inline()) {
			// imsg.handlers.inline: run it here, on the loop, without a task object per message
			session.started();
			handle(session, routes, message, unhandled);
			return;
		}
		// Handed to the session's thread with the rest of this read, when the channel says the read is complete.
		session.enqueue(() -> handle(session, routes, message, unhandled), message);
	}

	private void handle(ImsgSession session, ImsgHandlerRegistry.Routes routes, Imsg message,
			UnhandledMessagePolicy unhandled) {
		ImsgHandlerMethod handler = routes.lookup(message.type());
		if (handler == null) {
			this.metrics.unhandled(session.endpoint());
			session.warn(LOG, "No handler for " + message + " on " + session
					+ ((unhandled == UnhandledMessagePolicy.CLOSE) ? "; closing the connection (unhandled: close)"
							: "; dropped"));
			message.close();
			if (unhandled == UnhandledMessagePolicy.CLOSE) {
				session.close();
			}
			session.done(message);
			return;
		}
		// Two clock reads per message cost ~40 ns here: only when someone records handler times.
		long start = (this.metrics != ImsgMetrics.NONE) ? System.nanoTime() : 0;
		ImsgObservations.Scope observed = (this.observations != ImsgObservations.NONE)
				? this.observations.handling(session.endpoint(), routes.typeTag(message.type())) : ImsgObservations.Scope.NONE;
		Object result;
		try {
			result = handler.invoke(session, message);
		}
		catch (Throwable ex) {
			finish(session, routes, message, handler, start, observed, ex);
			return;
		}
		if (result instanceof CompletionStage<?> stage) {
			stage.whenComplete((value, ex) -> {
				Throwable error = ex;
				if (error == null) {
					error = reply(session, message, handler, value);
				}
				finish(session, routes, message, handler, start, observed, error);
			});
			return;
		}
		finish(session, routes, message, handler, start, observed, reply(session, message, handler, result));
	}

	/** Sends what the handler returned; gives back the error if that failed. */
	private @Nullable Throwable reply(ImsgSession session, Imsg request, ImsgHandlerMethod handler,
			@Nullable Object result) {
		if (result == null) {
			return null;
		}
		try {
			if (result instanceof ImsgReply r) {
				session.reply(r.type(), (r.peerId() != null) ? r.peerId() : request.peerId(), r.payload(), r.fd());
				return null;
			}
			Integer replyType = handler.replyType();
			if (replyType == null) {
				return new IllegalStateException(handler + " returned a " + result.getClass().getSimpleName()
						+ " but declares no replyType");
			}
			session.reply(replyType, request.peerId(), result, null);
			return null;
		}
		catch (io.github.imsg4j.core.ImsgException ex) {
			// sending the reply, not the handler, failed: said so, so that it is not read as the handler's own failure
			return new ImsgReplyException(ex.getMessage(), ex);
		}
		catch (Throwable ex) {
			// an Error too: finish() must still close the message and count the handler done
			return ex;
		}
	}

	private void finish(ImsgSession session, ImsgHandlerRegistry.Routes routes, Imsg message,
			ImsgHandlerMethod handler, long start, ImsgObservations.Scope observed, @Nullable Throwable error) {
		try {
			observed.stop(error);
			if (this.metrics != ImsgMetrics.NONE) {
				this.metrics.handled(session.endpoint(), routes.typeTag(message.type()), System.nanoTime() - start,
						error != null);
			}
			if (error != null) {
				ImsgErrorHandler.Action action;
				try {
					action = this.errorHandler.handleError(session, message, unwrap(error));
				}
				catch (RuntimeException ex) {
					LOG.error("Error handler failed on " + message + " on " + session, ex);
					action = ImsgErrorHandler.Action.CONTINUE;
				}
				if (action == ImsgErrorHandler.Action.CLOSE) {
					session.close();
				}
			}
		}
		finally {
			message.close();
			session.done(message);
		}
	}

	private static Throwable unwrap(Throwable error) {
		Throwable t = error;
		while ((t instanceof java.util.concurrent.CompletionException
				|| t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
			t = t.getCause();
		}
		return t;
	}
}
