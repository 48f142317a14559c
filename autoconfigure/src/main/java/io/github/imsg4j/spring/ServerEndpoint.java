package io.github.imsg4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgIoException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.ListenOptions;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.PeerLogLimiter;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * A running listening endpoint: its server socket, its sessions, and the rules for who gets in. Peers are
 * authorized from their credentials before a byte of theirs is read; refused peers are closed unread, logged
 * and counted.
 */
public final class ServerEndpoint {

	private static final Log LOG = LogFactory.getLog(ServerEndpoint.class);

	private final String name;

	private final Path path;

	private final ChannelOptions channelOptions;

	/** How the socket file is made, or {@code null} for a socket systemd passed (socket activation). */
	private final @Nullable ListenOptions listenOptions;

	private final @Nullable String activatedName;

	private final int maxConnections;

	private final @Nullable Duration idleTimeout;

	private final UnhandledMessagePolicy unhandled;

	private final List<ImsgPeerAuthorizer> authorizers;

	private final Predicate<PeerCredentials> rules;

	private final SessionContext context;

	private final Set<ImsgSession> sessions = ConcurrentHashMap.newKeySet();

	/** Connections admitted and not yet closed (admission happens before the session exists). */
	private final AtomicInteger admitted = new AtomicInteger();

	private final AtomicLong refused = new AtomicLong();

	/** Lines about refused peers: each refusal is a new connection, so they share one count. */
	private final PeerLogLimiter.Connection refusals;

	private volatile @Nullable ImsgServer server;

	private @Nullable ScheduledFuture<?> idleCheck;

	ServerEndpoint(String name, Path path, ChannelOptions channelOptions, @Nullable ListenOptions listenOptions,
			@Nullable String activatedName, int maxConnections, @Nullable Duration idleTimeout, UnhandledMessagePolicy unhandled,
			List<ImsgPeerAuthorizer> authorizers, Predicate<PeerCredentials> rules, SessionContext context) {
		this.name = name;
		this.path = path;
		// Every line a peer of this endpoint causes, in the core or here, counts against one limiter.
		PeerLogLimiter limiter = (channelOptions.logLimiter() != null) ? channelOptions.logLimiter()
				: new PeerLogLimiter(10, 20, 100);
		this.channelOptions = channelOptions.withLogLimiter(limiter);
		this.refusals = limiter.connection();
		this.listenOptions = listenOptions;
		this.activatedName = activatedName;
		this.maxConnections = maxConnections;
		this.idleTimeout = idleTimeout;
		this.unhandled = unhandled;
		this.authorizers = authorizers;
		this.rules = rules;
		this.context = context;
	}

	/**
	 * @return the endpoint's name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * @return the socket's path
	 */
	public Path path() {
		return this.path;
	}

	/**
	 * @return the wire generation its connections speak
	 */
	public io.github.imsg4j.core.WireFormat wireFormat() {
		return this.channelOptions.wireFormat();
	}

	/**
	 * @return whether it accepts connections
	 */
	public boolean isListening() {
		return this.server != null;
	}

	/**
	 * @return the open sessions
	 */
	public Set<ImsgSession> sessions() {
		return Set.copyOf(this.sessions);
	}

	/**
	 * @return peers refused (authorization or connection limit) since start
	 */
	public long refusedCount() {
		return this.refused.get();
	}

	void start(ScheduledExecutorService scheduler) {
		ListenOptions listen = this.listenOptions;
		try {
			this.server = (listen != null) ? ImsgServer.listen(this.path, this.channelOptions, listen, this::accept)
					: ImsgServer.activated(this.activatedName, this.channelOptions, this::accept);
		}
		catch (ImsgIoException ex) {
			// Reported as a start-up failure naming the endpoint and the property to change.
			throw new ImsgStartException(this.name, (listen != null) ? "path" : "activated", this.path, ex);
		}
		LOG.info("imsg endpoint '" + this.name + "' listening on " + this.server.path()
				+ ((listen == null) ? " (socket-activated)" : "") + " ("
				+ this.channelOptions.wireFormat().name().toLowerCase() + " wire, max message "
				+ this.channelOptions.maxMessageSize() + " bytes, fd passing "
				+ (this.channelOptions.fdPassing() ? "on" : "off") + ")");
		Duration idle = this.idleTimeout;
		if (idle != null) {
			long period = Math.max(10, Math.min(1000, idle.toMillis() / 4));
			this.idleCheck = scheduler.scheduleWithFixedDelay(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
		}
	}

	/** On the event loop, before any byte of the peer is read. */
	private @Nullable ImsgListener accept(PeerCredentials peer) {
		if (!authorized(peer)) {
			this.refused.incrementAndGet();
			this.context.metrics().connectionRefused(this.name, "auth");
			logRefusal("imsg endpoint '" + this.name + "' refused peer pid " + peer.pid() + " uid " + peer.uid() + " gid "
					+ peer.gid() + ": not authorized");
			return null;
		}
		if (this.admitted.incrementAndGet() > this.maxConnections) {
			this.admitted.decrementAndGet();
			this.refused.incrementAndGet();
			this.context.metrics().connectionRefused(this.name, "max-connections");
			logRefusal("imsg endpoint '" + this.name + "' refused peer pid " + peer.pid() + " uid " + peer.uid()
					+ " gid " + peer.gid() + ": max-connections (" + this.maxConnections + ") reached");
			return null;
		}
		return new SessionListener(this.name, this.context, this.unhandled, false, this.sessions::add, (s) -> {
			if (s != null) {
				this.sessions.remove(s);
			}
			this.admitted.decrementAndGet();
		});
	}

	private void logRefusal(String line) {
		ImsgSession.warn(this.refusals, LOG, line + " (refusals are counted in imsg.connections.refused)", null, false);
	}

	private boolean authorized(PeerCredentials peer) {
		for (ImsgPeerAuthorizer a : this.authorizers) {
			ImsgPeerAuthorizer.Decision d;
			try {
				d = a.authorize(this.name, peer);
			}
			catch (RuntimeException ex) {
				LOG.error("Peer authorizer " + a + " failed for " + peer + "; refusing the peer", ex);
				return false;
			}
			if (d == ImsgPeerAuthorizer.Decision.ALLOW) {
				return true;
			}
			if (d == ImsgPeerAuthorizer.Decision.DENY) {
				return false;
			}
		}
		return this.rules.test(peer);
	}

	private void closeIdle() {
		Duration idle = this.idleTimeout;
		if (idle == null) {
			return;
		}
		long limit = idle.toNanos();
		for (ImsgSession s : this.sessions) {
			if (s.idleNanos() > limit && s.idle()) {
				LOG.info("Closing " + s + ": no complete message for " + idle + " (idle-timeout)");
				s.channel().abort();
			}
		}
	}

	/** Stops accepting and removes the socket file; sessions stay. */
	void stopAccepting() {
		ScheduledFuture<?> check = this.idleCheck;
		if (check != null) {
			check.cancel(false);
		}
		ImsgServer s = this.server;
		this.server = null;
		if (s != null) {
			s.close();
		}
	}

	/** Stops reading from every session, so that in-flight work can drain. */
	void pauseReading() {
		this.sessions.forEach((s) -> s.channel().pauseReading());
	}
}
