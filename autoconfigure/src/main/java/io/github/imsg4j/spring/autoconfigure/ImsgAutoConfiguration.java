package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgBudget;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgPledge;
import io.github.imsg4j.core.ListenOptions;
import io.github.imsg4j.spring.ClientEndpoint;
import io.github.imsg4j.spring.ImsgArgumentResolver;
import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgConnector;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgErrorHandler;
import io.github.imsg4j.spring.ImsgFatalHandler;
import io.github.imsg4j.spring.ImsgHandlerAnnotationBeanPostProcessor;
import io.github.imsg4j.spring.ImsgHandlerExecutor;
import io.github.imsg4j.spring.ImsgMetrics;
import io.github.imsg4j.spring.ImsgObservations;
import io.github.imsg4j.spring.ImsgPayloadCodec;
import io.github.imsg4j.spring.ImsgPeerAuthorizer;
import io.github.imsg4j.spring.ImsgTemplate;
import io.github.imsg4j.spring.LoggingImsgErrorHandler;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.thread.Threading;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.task.SimpleAsyncTaskExecutor;

/**
 * Auto-configuration for imsg: an endpoint for every {@code imsg.endpoints.<name>}, a client for every
 * {@code imsg.clients.<name>}, {@link io.github.imsg4j.spring.ImsgHandler} methods routed to them, and an
 * {@link ImsgTemplate}. Every bean backs off when the application declares its own.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "imsg.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ImsgProperties.class)
public final class ImsgAutoConfiguration {

	private static final Log LOG = LogFactory.getLog(ImsgAutoConfiguration.class);

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean
	static ImsgHandlerAnnotationBeanPostProcessor imsgHandlerAnnotationBeanPostProcessor() {
		return new ImsgHandlerAnnotationBeanPostProcessor();
	}

	@Bean
	@ConditionalOnMissingBean
	ImsgCodecs imsgCodecs(ObjectProvider<ImsgPayloadCodec<?>> codecs) {
		return new ImsgCodecs(codecs.orderedStream().toList());
	}

	@Bean
	@ConditionalOnMissingBean
	ImsgErrorHandler imsgErrorHandler() {
		return new LoggingImsgErrorHandler();
	}

	@Bean
	@ConditionalOnMissingBean
	ImsgHandlerExecutor imsgHandlerExecutor(ImsgProperties properties, Environment environment) {
		if (properties.getHandlers().isInline()) {
			return ImsgHandlerExecutor.inline();
		}
		if (Threading.VIRTUAL.isActive(environment)) {
			SimpleAsyncTaskExecutor virtual = new SimpleAsyncTaskExecutor("imsg-handler-");
			virtual.setVirtualThreads(true);
			return new ImsgHandlerExecutor(virtual, true);
		}
		AtomicInteger n = new AtomicInteger();
		ThreadFactory threads = (r) -> {
			Thread t = new Thread(r, "imsg-handler-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		};
		return new ImsgHandlerExecutor(Executors.newFixedThreadPool(properties.getHandlers().getThreads(), threads), true);
	}

	/**
	 * The budget every connection of the application shares ({@code imsg.budget.*}); without settings, the core's
	 * process-wide one.
	 */
	@Bean
	@ConditionalOnMissingBean
	ImsgBudget imsgBudget(ImsgProperties properties) {
		return CoreOptions.budget(properties.getBudget());
	}

	@Bean
	@ConditionalOnMissingBean
	ImsgEndpointRegistry imsgEndpointRegistry(ImsgProperties properties, Environment environment, ImsgBudget budget,
			ImsgHandlerAnnotationBeanPostProcessor handlers, ObjectProvider<ImsgArgumentResolver> resolvers,
			ImsgCodecs codecs, ImsgErrorHandler errorHandler, ObjectProvider<ImsgPeerAuthorizer> authorizers,
			ObjectProvider<ImsgMetrics> metrics, ImsgHandlerExecutor executor, ObjectProvider<ImsgObservations> observations,
			ImsgFatalHandler fatal) {
		Duration shutdownTimeout = Binder.get(environment)
			.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
			.orElse(Duration.ofSeconds(30));
		long ownUid = ownUid();
		List<ImsgEndpointRegistry.Server> servers = new ArrayList<>();
		for (Map.Entry<String, ImsgProperties.Endpoint> e : properties.getEndpoints().entrySet()) {
			servers.add(server(e.getKey(), e.getValue(), ownUid, budget));
		}
		List<ImsgEndpointRegistry.Client> clients = new ArrayList<>();
		for (Map.Entry<String, ImsgProperties.Client> e : properties.getClients().entrySet()) {
			ImsgProperties.Client c = e.getValue();
			ImsgProperties.Reconnect r = c.getReconnect();
			ImsgConnector connector = (c.getInheritedFd() != null) ? ImsgConnector.fromParent(c.getInheritedFd())
					: ImsgConnector.path(c.getPath());
			clients.add(new ImsgEndpointRegistry.Client(e.getKey(), connector,
					CoreOptions.channel("imsg.clients." + e.getKey(), c).withBudget(budget),
					c.getConnectTimeout(), backoff(r), Duration.ZERO, io.github.imsg4j.spring.UnhandledMessagePolicy.DROP,
					null));
		}
		for (Map.Entry<String, ImsgProperties.ChildProcess> e : properties.getProcesses().entrySet()) {
			ImsgProperties.ChildProcess p = e.getValue();
			String prefix = "imsg.processes." + e.getKey();
			ImsgChildProcess.Spec spec = CoreOptions.child(prefix, p);
			clients.add(new ImsgEndpointRegistry.Client(e.getKey(),
					ImsgConnector.child(e.getKey(), spec, p.getStopGracePeriod()),
					CoreOptions.channel(prefix, p).withBudget(budget), Duration.ofSeconds(10), backoff(p.getRestart()),
					p.getStopGracePeriod(), io.github.imsg4j.spring.UnhandledMessagePolicy.DROP,
					new ClientEndpoint.Supervision(p.getOnExit(), p.getStartLimitBurst(), p.getStartLimitInterval())));
		}
		return new ImsgEndpointRegistry(servers, clients,
				new ImsgEndpointRegistry.Wiring(handlers, resolvers.orderedStream().toList(), codecs, errorHandler,
						authorizers.orderedStream().toList(), metrics.getIfAvailable(() -> ImsgMetrics.NONE), executor,
						shutdownTimeout, observations.getIfAvailable(() -> ImsgObservations.NONE), fatal));
	}

	/**
	 * {@code imsg.pledge.forbid-exec}: once the application is ready (its sockets made, its children started), it
	 * forbids itself execve, ptrace and the like on every thread ({@link ImsgPledge}).
	 */
	@Bean
	@ConditionalOnBooleanProperty("imsg.pledge.forbid-exec")
	ApplicationListener<ApplicationReadyEvent> imsgPledge(ImsgProperties properties) {
		return (event) -> {
			try {
				LOG.info("imsg pledge: " + ImsgPledge.forbidExecAndDebugging());
			}
			catch (ImsgException ex) {
				if (properties.getPledge().isRequired()) {
					throw ex;
				}
				LOG.warn("imsg pledge not applied (imsg.pledge.required=true would stop the application): "
						+ ex.getMessage());
			}
		};
	}

	/**
	 * Stops the application with exit status 1 when a child process's loss is fatal: the context is closed
	 * (every other child stopped and reaped, sockets removed) and then the JVM exits, as OpenBSD's parent does.
	 */
	@Bean
	@ConditionalOnMissingBean
	ImsgFatalHandler imsgFatalHandler(ConfigurableApplicationContext context) {
		return (report) -> {
			Thread t = new Thread(() -> System.exit(SpringApplication.exit(context, () -> 1)), "imsg-fatal-exit");
			t.setDaemon(false);
			t.start();
		};
	}

	@Bean
	@ConditionalOnMissingBean
	ImsgTemplate imsgTemplate(ImsgEndpointRegistry registry, ObjectProvider<ImsgObservations> observations) {
		return new ImsgTemplate(registry, observations.getIfAvailable(() -> ImsgObservations.NONE));
	}

	private static ClientEndpoint.@Nullable Backoff backoff(ImsgProperties.Reconnect r) {
		return r.isEnabled() ? new ClientEndpoint.Backoff(r.getInitialBackoff(), r.getMaxBackoff(), r.getMultiplier())
				: null;
	}

	private static ImsgEndpointRegistry.Server server(String name, ImsgProperties.Endpoint ep, long ownUid,
			ImsgBudget budget) {
		String prefix = "imsg.endpoints." + name;
		@Nullable ListenOptions listen = CoreOptions.listen(prefix, ep);
		ImsgProperties.Auth auth = ep.getAuth();
		Set<Long> uids = new HashSet<>(auth.getAllowUids());
		auth.getAllowUsers().forEach((u) -> uids.add(OsAccounts.uidOf(u)));
		Set<Long> gids = new HashSet<>(auth.getAllowGids());
		auth.getAllowGroups().forEach((g) -> gids.add(OsAccounts.gidOf(g)));
		Path path = ep.getPath();
		if (ep.isActivated()) {
			// the socket is systemd's: ServerEndpoint takes it by name; the path, if given, only describes it
			listen = null;
			path = (path != null) ? path : Path.of("systemd-activated");
		}
		else {
			createParent(name, path);
		}
		return new ImsgEndpointRegistry.Server(name, path, CoreOptions.channel(prefix, ep).withBudget(budget), listen, ep.getMaxConnections(),
				ep.getIdleTimeout(), ep.getUnhandled(),
				new PropertiesPeerAuthorizer(auth.isAllowSameUser(), ownUid, auth.isAllowRoot(), uids, gids),
				ep.getActivatedName());
	}

	/** A daemon creates the directory for its socket, as OpenBSD daemons create /var/run subdirectories. */
	private static void createParent(String name, Path path) {
		Path parent = path.toAbsolutePath().getParent();
		if (parent != null && !Files.isDirectory(parent)) {
			try {
				Files.createDirectories(parent);
			}
			catch (java.io.IOException ex) {
				throw new InvalidImsgPropertyException("imsg.endpoints." + name + ".path", path,
						"a path whose directory exists or can be created (" + ex + ")");
			}
		}
	}

	/** The uid this process runs as, which the default authorization allows (-1 without /proc: matches no peer). */
	static long ownUid() {
		return io.github.imsg4j.core.PeerCredentials.ownUid();
	}
}
