package io.github.imsg4j.spring;

import java.util.function.Consumer;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgClosedException;
import io.github.imsg4j.core.ImsgLimitException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgProtocolException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/** Turns a channel's events into a session's life: created on open, fed messages, ended on close. */
final class SessionListener implements ImsgListener {

	private static final Log LOG = LogFactory.getLog(SessionListener.class);

	private final String endpoint;

	private final SessionContext context;

	private final UnhandledMessagePolicy unhandled;

	private final Consumer<ImsgSession> opened;

	private final Consumer<@Nullable ImsgSession> closed;

	/** Whether application threads wait for room when sending (our connections to a daemon), see {@link ImsgSession}. */
	private final boolean waitsForRoom;

	private @Nullable ImsgSession session;

	private ImsgHandlerRegistry.@Nullable Routes routes;

	SessionListener(String endpoint, SessionContext context, UnhandledMessagePolicy unhandled, boolean waitsForRoom,
			Consumer<ImsgSession> opened, Consumer<@Nullable ImsgSession> closed) {
		this.waitsForRoom = waitsForRoom;
		this.endpoint = endpoint;
		this.context = context;
		this.unhandled = unhandled;
		this.opened = opened;
		this.closed = closed;
	}

	@Override
	public void onOpen(ImsgChannel channel) {
		ImsgSession s = new ImsgSession(this.endpoint, channel, this.context.codecs(), this.context.metrics(),
				this.context.executor(), this.waitsForRoom);
		this.session = s;
		this.routes = this.context.dispatcher().routes(this.endpoint);
		this.context.metrics().connectionOpened(this.endpoint);
		LOG.debug("Opened " + s);
		this.opened.accept(s);
	}

	@Override
	public void onMessage(ImsgChannel channel, Imsg message) {
		ImsgSession s = this.session;
		ImsgHandlerRegistry.Routes r = this.routes;
		if (s == null || r == null) {
			message.close();
			return;
		}
		this.context.dispatcher().onMessage(s, r, message, this.unhandled);
	}

	@Override
	public void onReadComplete(ImsgChannel channel) {
		ImsgSession s = this.session;
		if (s != null) {
			s.submitPending();
		}
	}

	/** The peer half-closed: reply to everything it sent, then close (a client that shuts down SHUT_WR reads on). */
	@Override
	public boolean onInputClosed(ImsgChannel channel) {
		ImsgSession s = this.session;
		if (s == null) {
			return false;
		}
		s.submitPending();
		s.closeWhenDone();
		return true;
	}

	@Override
	public void onClose(ImsgChannel channel, @Nullable Throwable cause) {
		ImsgSession s = this.session;
		if (cause instanceof ImsgProtocolException) {
			this.context.metrics().protocolError(this.endpoint);
		}
		if (cause != null && s != null) {
			// the peer's doing, mostly: counted against its share of the log
			s.warn(LOG, "Closed " + channel.name() + " on " + this.endpoint + ": " + cause.getMessage());
		}
		else if (cause != null) {
			LOG.info("Closed " + channel.name() + " on " + this.endpoint + ": " + cause.getMessage());
		}
		else {
			LOG.debug("Closed " + channel.name() + " on " + this.endpoint);
		}
		if (s != null && cause instanceof ImsgLimitException) {
			// Cut off for going over a bound (the shared budget closing the connection that holds the most, to
			// make room for another's): what waits for a handler is given back now, while the asker waits for it.
			s.discardQueued();
		}
		if (s != null) {
			this.context.metrics().connectionClosed(this.endpoint, cause);
			s.failWaiters((cause != null) ? cause : new ImsgClosedException(channel.name() + " closed"));
		}
		// Forget the session once its socket is really closed (the close future completes after the descriptors
		// are gone), so that a freed max-connections slot is also a freed pair of descriptors.
		channel.closeFuture().whenComplete((v, e) -> this.closed.accept(s));
	}
}
