package io.github.imsg4j.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgSocketLayer;
import io.github.imsg4j.core.ListenOptions;
import io.github.imsg4j.core.PeerCredentials;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.SmartLifecycle;

/**
 * Owns every endpoint and client of the application and runs their life, as Spring Kafka's
 * {@code KafkaListenerEndpointRegistry} does for listener containers: once all singletons exist it validates
 * and routes the {@link ImsgHandler} methods; it starts listening after the context is refreshed (late phase),
 * and stops early and gracefully: stop accepting and remove the socket files, stop reading, let in-flight
 * handlers finish, flush queued replies, close.
 */
public class ImsgEndpointRegistry implements SmartLifecycle, SmartInitializingSingleton {

	/** Start late and stop early, as Spring Kafka's listener containers do. */
	public static final int PHASE = Integer.MAX_VALUE - 100;

	private static final Log LOG = LogFactory.getLog(ImsgEndpointRegistry.class);

	private final List<Server> serverSettings;

	private final List<Client> clientSettings;

	private final Wiring wiring;

	private final Map<String, ServerEndpoint> servers = new LinkedHashMap<>();

	private final Map<String, ClientEndpoint> clients = new LinkedHashMap<>();

	private final SessionContext context;

	private @Nullable ScheduledThreadPoolExecutor scheduler;

	private volatile boolean running;

	/** Released on stop; its non-daemon thread keeps the JVM alive while endpoints listen, as a web server's does. */
	private @Nullable CountDownLatch keepAlive;

	/**
	 * A listening endpoint's settings.
	 *
	 * @param name its name
	 * @param path socket path (for an activated endpoint, only a description)
	 * @param channel how connections speak
	 * @param listen socket file mode, group, backlog, stale-socket policy; {@code null} for a socket systemd
	 *        passed (socket activation)
	 * @param maxConnections most connections at once
	 * @param idleTimeout close connections silent this long, or {@code null}
	 * @param unhandled what to do with unhandled messages
	 * @param rules the authorization rules from properties, asked when every authorizer bean abstains
	 * @param activatedName with {@code listen} {@code null}: the socket's {@code FileDescriptorName=}, or
	 *        {@code null} when systemd passes exactly one
	 */
	public record Server(String name, Path path, ChannelOptions channel, @Nullable ListenOptions listen,
			int maxConnections, @Nullable Duration idleTimeout, UnhandledMessagePolicy unhandled,
			Predicate<PeerCredentials> rules, @Nullable String activatedName) {
	}

	/**
	 * An outbound client's settings: an {@code imsg.clients} connection, or an {@code imsg.processes} child.
	 *
	 * @param name its name
	 * @param connector how it connects: a socket path, the parent's socket, a child process
	 * @param channel how the connection speaks
	 * @param connectTimeout how long a send waits for a connection
	 * @param backoff reconnect (or restart) back-off, or {@code null} for none
	 * @param stopGrace how long a child process has to exit after {@code SIGTERM} when the application stops
	 * @param unhandled what to do with unhandled messages
	 * @param supervision for a child process, what losing it means; {@code null} for a client of a socket
	 */
	public record Client(String name, ImsgConnector connector, ChannelOptions channel, Duration connectTimeout,
			ClientEndpoint.@Nullable Backoff backoff, Duration stopGrace, UnhandledMessagePolicy unhandled,
			ClientEndpoint.@Nullable Supervision supervision) {
	}

	/**
	 * The collaborators every connection uses.
	 *
	 * @param found handler methods found by the bean post-processor
	 * @param resolvers user argument resolvers, asked after the built-in ones for imsg's own types
	 * @param codecs payload codecs
	 * @param errorHandler handles handler failures
	 * @param authorizers custom peer authorizers, in order
	 * @param metrics metrics sink
	 * @param executor runs handlers
	 * @param shutdownTimeout how long a graceful stop may take
	 * @param observations observations of handler invocations, {@link ImsgObservations#NONE} for none
	 * @param fatal what the application does when a child process's loss is fatal
	 */
	public record Wiring(ImsgHandlerAnnotationBeanPostProcessor found, List<ImsgArgumentResolver> resolvers,
			ImsgCodecs codecs, ImsgErrorHandler errorHandler, List<ImsgPeerAuthorizer> authorizers, ImsgMetrics metrics,
			Executor executor, Duration shutdownTimeout, ImsgObservations observations, ImsgFatalHandler fatal) {
	}

	/**
	 * @param servers listening endpoints
	 * @param clients outbound clients
	 * @param wiring shared collaborators
	 */
	public ImsgEndpointRegistry(List<Server> servers, List<Client> clients, Wiring wiring) {
		this.serverSettings = List.copyOf(servers);
		this.clientSettings = List.copyOf(clients);
		this.wiring = wiring;
		this.context = new SessionContext(wiring.codecs(), wiring.metrics(), wiring.executor());
		for (Server s : this.serverSettings) {
			this.servers.put(s.name(), new ServerEndpoint(s.name(), s.path(), s.channel(), s.listen(), s.activatedName(),
					s.maxConnections(), s.idleTimeout(), s.unhandled(), wiring.authorizers(), s.rules(), this.context));
		}
		for (Client c : this.clientSettings) {
			this.clients.put(c.name(), new ClientEndpoint(c.name(), c.connector(), c.channel(), c.connectTimeout(),
					c.backoff(), c.stopGrace(), c.unhandled(), this.context, c.supervision()));
		}
	}

	@Override
	public void afterSingletonsInstantiated() {
		List<ImsgArgumentResolver> chain = new ArrayList<>(BuiltInArgumentResolvers.frameworkTypes());
		chain.addAll(this.wiring.resolvers());
		chain.addAll(BuiltInArgumentResolvers.payloadTypes(this.wiring.codecs()));
		List<ImsgHandlerMethod> methods = new ArrayList<>();
		for (ImsgHandlerAnnotationBeanPostProcessor.Found f : this.wiring.found().found()) {
			methods.add(new ImsgHandlerMethod(f.bean(), f.method(), f.annotation(), chain, this.wiring.codecs()));
		}
		List<String> names = new ArrayList<>();
		this.serverSettings.forEach((s) -> names.add(s.name()));
		this.clientSettings.forEach((c) -> names.add(c.name()));
		if (names.isEmpty() && !methods.isEmpty()) {
			LOG.warn(methods.size() + " @ImsgHandler methods but no imsg.endpoints or imsg.clients configured");
		}
		ImsgHandlerRegistry routes = new ImsgHandlerRegistry(methods, names);
		warnAboutDescriptorsThatCannotArrive(methods, names);
		this.context.setDispatcher(new ImsgDispatcher(routes, this.wiring.errorHandler(), this.wiring.metrics(),
				this.wiring.observations()));
	}

	/**
	 * A handler that takes a {@code FileDescriptor} on a connection without {@code fd-passing} always gets
	 * {@code null}: descriptors peers send are closed on arrival. Said once at start-up, naming the property.
	 */
	private void warnAboutDescriptorsThatCannotArrive(List<ImsgHandlerMethod> methods, List<String> names) {
		Map<String, String> closedToFds = new LinkedHashMap<>();
		this.serverSettings.stream().filter((s) -> !s.channel().fdPassing())
			.forEach((s) -> closedToFds.put(s.name(), "imsg.endpoints." + s.name() + ".fd-passing"));
		this.clientSettings.stream().filter((c) -> !c.channel().fdPassing())
			.forEach((c) -> closedToFds.put(c.name(), ((c.supervision() != null) ? "imsg.processes." : "imsg.clients.")
					+ c.name() + ".fd-passing"));
		for (ImsgHandlerMethod m : methods) {
			if (!java.util.Arrays.asList(m.method().getParameterTypes()).contains(java.io.FileDescriptor.class)) {
				continue;
			}
			for (String name : m.endpoints().isEmpty() ? names : m.endpoints()) {
				String property = closedToFds.get(name);
				if (property != null) {
					LOG.warn(m + " takes a FileDescriptor, but " + property + " is false: descriptors sent on '" + name
							+ "' are closed on arrival and it always gets null (set " + property + "=true)");
				}
			}
		}
	}

	/** The payload codecs every connection uses, for the template's typed replies. */
	ImsgCodecs codecs() {
		return this.wiring.codecs();
	}

	/**
	 * @return the listening endpoints by name
	 */
	public Map<String, ServerEndpoint> endpoints() {
		return Collections.unmodifiableMap(this.servers);
	}

	/**
	 * @return the outbound clients by name
	 */
	public Map<String, ClientEndpoint> clients() {
		return Collections.unmodifiableMap(this.clients);
	}

	/**
	 * @param name an endpoint name
	 * @return the endpoint
	 * @throws IllegalArgumentException when there is none by that name
	 */
	public ServerEndpoint endpoint(String name) {
		ServerEndpoint e = this.servers.get(name);
		if (e == null) {
			throw new IllegalArgumentException("no imsg endpoint named '" + name + "' (known: " + this.servers.keySet() + ")");
		}
		return e;
	}

	/**
	 * @param name a client name
	 * @return the client
	 * @throws IllegalArgumentException when there is none by that name
	 */
	public ClientEndpoint client(String name) {
		ClientEndpoint c = this.clients.get(name);
		if (c == null) {
			throw new IllegalArgumentException("no imsg client named '" + name + "' (known: " + this.clients.keySet() + ")");
		}
		return c;
	}

	@Override
	public synchronized void start() {
		if (this.running) {
			return;
		}
		if (!this.servers.isEmpty() || !this.clients.isEmpty()) {
			// before any socket exists: imsg4j.transport asking for a layer this process cannot have fails here
			ImsgSocketLayer.check();
			LOG.info("imsg " + ImsgSocketLayer.describe());
		}
		ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, (r) -> {
			Thread t = new Thread(r, "imsg-scheduler");
			t.setDaemon(true);
			return t;
		});
		s.setRemoveOnCancelPolicy(true);
		this.scheduler = s;
		this.running = true;
		if (!this.servers.isEmpty()
				|| this.clients.values().stream().anyMatch((c) -> c.connector().keepsApplicationAlive())) {
			// Every imsg thread is a daemon thread; without this an application whose only job is to serve imsg
			// would exit as soon as main() returned.
			CountDownLatch latch = new CountDownLatch(1);
			this.keepAlive = latch;
			Thread t = new Thread(() -> {
				try {
					latch.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}, "imsg-keep-alive");
			t.setDaemon(false);
			t.start();
		}
		try {
			for (ServerEndpoint e : this.servers.values()) {
				e.start(s);
			}
			for (ClientEndpoint c : this.clients.values()) {
				c.start(s, this.wiring.fatal());
			}
		}
		catch (RuntimeException ex) {
			stop();
			throw ex;
		}
	}

	@Override
	public void stop() {
		shutdown();
	}

	@Override
	public void stop(Runnable callback) {
		Thread t = new Thread(() -> {
			try {
				shutdown();
			}
			finally {
				callback.run();
			}
		}, "imsg-shutdown");
		t.start();
	}

	private synchronized void shutdown() {
		if (!this.running) {
			return;
		}
		this.running = false;
		long deadline = System.nanoTime() + this.wiring.shutdownTimeout().toNanos();
		this.servers.values().forEach(ServerEndpoint::stopAccepting);
		List<ImsgSession> sessions = new ArrayList<>();
		this.servers.values().forEach((e) -> sessions.addAll(e.sessions()));
		for (ClientEndpoint c : this.clients.values()) {
			ImsgSession s = c.sessionIfConnected();
			if (s != null) {
				sessions.add(s);
			}
			c.stop();
		}
		// Wait until every loop has stopped reading: messages it read before then are delivered and counted as in
		// flight (a read's handler tasks are handed over when the read completes), so awaitIdle sees them all.
		List<CompletableFuture<Void>> paused = new ArrayList<>();
		sessions.forEach((s) -> paused.add(s.channel().pauseReadingAsync()));
		for (CompletableFuture<Void> p : paused) {
			try {
				p.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			catch (ExecutionException | TimeoutException ex) {
				// a loop that does not answer in time: awaitIdle below reports the connection as unfinished
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		int unfinished = 0;
		for (ImsgSession s : sessions) {
			if (!s.awaitIdle(deadline)) {
				unfinished++;
			}
		}
		if (unfinished > 0) {
			LOG.warn(unfinished + " imsg connections still had handlers running after the shutdown timeout of "
					+ this.wiring.shutdownTimeout() + "; closing them anyway");
		}
		closeAll(sessions);
		for (ClientEndpoint c : this.clients.values()) {
			c.terminate();
		}
		LOG.info("imsg stopped: " + this.servers.size() + " endpoints, " + this.clients.size()
				+ " clients and processes, " + sessions.size() + " connections closed"
				+ ((unfinished > 0) ? " (" + unfinished + " with handlers still running)" : ""));
		ScheduledThreadPoolExecutor s = this.scheduler;
		if (s != null) {
			s.shutdownNow();
		}
		CountDownLatch latch = this.keepAlive;
		if (latch != null) {
			latch.countDown();
		}
	}

	/**
	 * Starts every session's orderly close at once (each writes what is queued, up to the close timeout) and waits
	 * for them together: a shutdown with many slow peers takes one close timeout, not one each.
	 */
	private static void closeAll(List<ImsgSession> sessions) {
		List<CompletableFuture<Void>> closed = new ArrayList<>(sessions.size());
		Duration longest = Duration.ZERO;
		for (ImsgSession s : sessions) {
			s.channel().closeWhenFlushed();
			closed.add(s.closeFuture());
			Duration t = s.channel().options().closeTimeout();
			longest = (t.compareTo(longest) > 0) ? t : longest;
		}
		try {
			// the channels' own close timers end each close; the extra second is for a loop that does not answer
			CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new))
				.get(longest.toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
		}
		catch (ExecutionException ex) {
			// some closed with an error (their peers broke off): they are closed all the same
		}
		catch (TimeoutException ex) {
			sessions.forEach((s) -> s.channel().abort());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			sessions.forEach((s) -> s.channel().abort());
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}
}
