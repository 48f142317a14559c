package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.imsg4j.core.ListenOptions;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ProcessExitPolicy;
import io.github.imsg4j.spring.UnhandledMessagePolicy;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of imsg endpoints (servers) and clients, under {@code imsg.*}. Every value is checked when the
 * application starts; a wrong one stops it with a message naming the property, the value and what is valid.
 */
@ConfigurationProperties(prefix = "imsg", ignoreUnknownFields = false)
public class ImsgProperties implements InitializingBean {

	/** Whether imsg is configured at all; false leaves out every endpoint, client, process and handler routing. */
	private boolean enabled = true;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	/** Listening endpoints by name; each accepts connections on its own UNIX socket. */
	private Map<String, Endpoint> endpoints = new LinkedHashMap<>();

	/** Outbound connections by name, to imsg daemons this application talks to. */
	private Map<String, Client> clients = new LinkedHashMap<>();

	/**
	 * Child processes by name, each started with one end of a socket at a descriptor (3 by default), as
	 * OpenBSD's privilege-separated daemons start their helpers; started and stopped with the application.
	 */
	private Map<String, ChildProcess> processes = new LinkedHashMap<>();

	public Map<String, ChildProcess> getProcesses() {
		return this.processes;
	}

	public void setProcesses(Map<String, ChildProcess> processes) {
		this.processes = processes;
	}

	/** How handler methods are run. */
	private final Handlers handlers = new Handlers();

	/** What all connections together may hold; the connection that goes over it is closed. */
	private final Budget budget = new Budget();

	public Budget getBudget() {
		return this.budget;
	}

	/** What this application forbids itself once it is ready (a confined worker's pledge). */
	private final Pledge pledge = new Pledge();

	public Pledge getPledge() {
		return this.pledge;
	}

	public Map<String, Endpoint> getEndpoints() {
		return this.endpoints;
	}

	public void setEndpoints(Map<String, Endpoint> endpoints) {
		this.endpoints = endpoints;
	}

	public Map<String, Client> getClients() {
		return this.clients;
	}

	public void setClients(Map<String, Client> clients) {
		this.clients = clients;
	}

	public Handlers getHandlers() {
		return this.handlers;
	}

	@Override
	public void afterPropertiesSet() {
		Map<Path, String> paths = new HashMap<>();
		for (Map.Entry<String, Endpoint> e : this.endpoints.entrySet()) {
			String prefix = "imsg.endpoints." + e.getKey();
			Endpoint ep = e.getValue();
			checkConnection(prefix, ep, ep.getPath(), !ep.isActivated());
			String other = (ep.getPath() != null) ? paths.putIfAbsent(ep.getPath().toAbsolutePath().normalize(), prefix)
					: null;
			if (other != null) {
				throw new InvalidImsgPropertyException(prefix + ".path", ep.getPath(),
						"a path no other endpoint uses (" + other + ".path has the same)");
			}
			CoreOptions.listen(prefix, ep);
			if (ep.getSocketGroup() != null && OsAccounts.gidOf(ep.getSocketGroup()) == null) {
				throw new InvalidImsgPropertyException(prefix + ".socket-group", ep.getSocketGroup(),
						"the name of an existing group");
			}
			positive(prefix + ".max-connections", ep.getMaxConnections());
			if (ep.getIdleTimeout() != null && (ep.getIdleTimeout().isNegative() || ep.getIdleTimeout().isZero())) {
				throw new InvalidImsgPropertyException(prefix + ".idle-timeout", ep.getIdleTimeout(),
						"a positive duration such as 30s, or no value for no idle timeout");
			}
			checkAuth(prefix + ".auth", ep.getAuth());
		}
		for (Map.Entry<String, Client> e : this.clients.entrySet()) {
			String prefix = "imsg.clients." + e.getKey();
			Client c = e.getValue();
			checkConnection(prefix, c, c.getPath(), c.getInheritedFd() == null);
			if (c.getInheritedFd() != null && c.getInheritedFd() < 0) {
				throw new InvalidImsgPropertyException(prefix + ".inherited-fd", c.getInheritedFd(),
						"a descriptor number (3 for a child started as OpenBSD's proc.c starts them)");
			}
			if (c.getInheritedFd() != null && c.getPath() != null) {
				throw new InvalidImsgPropertyException(prefix + ".path", c.getPath(),
						"no path: inherited-fd is set, so the connection is the one the parent process left");
			}
			positiveDuration(prefix + ".connect-timeout", c.getConnectTimeout());
			checkBackoff(prefix + ".reconnect", c.getReconnect());
			if (this.endpoints.containsKey(e.getKey())) {
				throw new InvalidImsgPropertyException(prefix, e.getKey(),
						"a name not also used by an endpoint (imsg.endpoints." + e.getKey() + " exists)");
			}
		}
		for (Map.Entry<String, ChildProcess> e : this.processes.entrySet()) {
			String prefix = "imsg.processes." + e.getKey();
			ChildProcess p = e.getValue();
			CoreOptions.channel(prefix, p);
			CoreOptions.child(prefix, p);
			positiveDuration(prefix + ".stop-grace-period", p.getStopGracePeriod());
			checkBackoff(prefix + ".restart", p.getRestart());
			positive(prefix + ".start-limit-burst", p.getStartLimitBurst());
			positiveDuration(prefix + ".start-limit-interval", p.getStartLimitInterval());
			if (this.endpoints.containsKey(e.getKey()) || this.clients.containsKey(e.getKey())) {
				throw new InvalidImsgPropertyException(prefix, e.getKey(),
						"a name not also used by an endpoint or a client");
			}
		}
		if (this.handlers.getThreads() < 1) {
			throw new InvalidImsgPropertyException("imsg.handlers.threads", this.handlers.getThreads(),
					"at least 1");
		}
		CoreOptions.budget(this.budget);
	}

	private static void checkBackoff(String prefix, Reconnect r) {
		positiveDuration(prefix + ".initial-backoff", r.getInitialBackoff());
		positiveDuration(prefix + ".max-backoff", r.getMaxBackoff());
		if (r.getMaxBackoff().compareTo(r.getInitialBackoff()) < 0) {
			throw new InvalidImsgPropertyException(prefix + ".max-backoff", r.getMaxBackoff(),
					"at least " + prefix.substring(prefix.lastIndexOf('.') + 1) + ".initial-backoff ("
							+ r.getInitialBackoff() + ")");
		}
		if (!(r.getMultiplier() >= 1.0)) {
			throw new InvalidImsgPropertyException(prefix + ".multiplier", r.getMultiplier(), "a number of at least 1.0");
		}
	}

	private static void checkConnection(String prefix, Connection c, @Nullable Path path, boolean pathRequired) {
		if (pathRequired && path == null) {
			throw new InvalidImsgPropertyException(prefix + ".path", null, "the socket's file system path");
		}
		CoreOptions.socketPath(prefix, path);
		CoreOptions.channel(prefix, c);
	}

	private static void checkAuth(String prefix, Auth auth) {
		for (int i = 0; i < auth.getAllowUsers().size(); i++) {
			String name = auth.getAllowUsers().get(i);
			if (OsAccounts.uidOf(name) == null) {
				throw new InvalidImsgPropertyException(prefix + ".allow-users[" + i + "]", name,
						"the name of an existing user (looked up with getent passwd)");
			}
		}
		for (int i = 0; i < auth.getAllowGroups().size(); i++) {
			String name = auth.getAllowGroups().get(i);
			if (OsAccounts.gidOf(name) == null) {
				throw new InvalidImsgPropertyException(prefix + ".allow-groups[" + i + "]", name,
						"the name of an existing group (looked up with getent group)");
			}
		}
		checkIds(prefix + ".allow-uids", auth.getAllowUids());
		checkIds(prefix + ".allow-gids", auth.getAllowGids());
	}

	private static void checkIds(String property, List<Long> ids) {
		for (int i = 0; i < ids.size(); i++) {
			long id = ids.get(i);
			if (id < 0 || id > 0xFFFFFFFEL) {
				throw new InvalidImsgPropertyException(property + "[" + i + "]", id, "a numeric id from 0 to 4294967294");
			}
		}
	}

	private static void positive(String property, int value) {
		if (value < 1) {
			throw new InvalidImsgPropertyException(property, value, "a whole number of at least 1");
		}
	}

	private static void positiveDuration(String property, Duration value) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidImsgPropertyException(property, value, "a positive duration such as 500ms or 5s");
		}
	}

	/**
	 * What every connection shares, endpoints, clients and processes alike: which wire generation, how big, how much
	 * to queue. A setting only some of them use lives in theirs (the socket's path, how long a send waits), so that
	 * no property exists that does nothing.
	 */
	public abstract static class Connection {

		/**
		 * Wire generation: classic (u16 len + flags; OpenBSD {@literal <=} 7.6, tmux {@literal <=} 3.5) or current
		 * (OpenBSD {@literal >=} 7.7).
		 */
		private WireFormat wire = WireFormat.CURRENT;

		/** Largest message sent or accepted, 16-byte header included. */
		private DataSize maxMessageSize = DataSize.ofBytes(WireFormat.DEFAULT_MAX_MESSAGE_SIZE);

		/**
		 * Whether file descriptors sent by the peer are accepted (imsgbuf_allow_fdpass). When off, descriptors
		 * that arrive are closed and the messages claiming them are delivered without one.
		 */
		private boolean fdPassing = false;

		/** Most bytes queued for sending on one connection before senders wait (then fail) or are refused. */
		private DataSize writeQueueLimit = DataSize.ofMegabytes(4);

		/**
		 * Takes a path as text, so that it binds as a file-system path in every kind of application: bound to a
		 * {@code Path}, Spring would resolve it through the application's resource loader, and a servlet
		 * container's refuses {@code ..} above its root.
		 */
		static @Nullable Path toPath(@Nullable String path) {
			return (path == null || path.isEmpty()) ? null : Path.of(path);
		}

		public WireFormat getWire() {
			return this.wire;
		}

		public void setWire(WireFormat wire) {
			this.wire = wire;
		}

		public DataSize getMaxMessageSize() {
			return this.maxMessageSize;
		}

		public void setMaxMessageSize(DataSize maxMessageSize) {
			this.maxMessageSize = maxMessageSize;
		}

		public boolean isFdPassing() {
			return this.fdPassing;
		}

		public void setFdPassing(boolean fdPassing) {
			this.fdPassing = fdPassing;
		}

		public DataSize getWriteQueueLimit() {
			return this.writeQueueLimit;
		}

		public void setWriteQueueLimit(DataSize writeQueueLimit) {
			this.writeQueueLimit = writeQueueLimit;
		}
	}

	/**
	 * A connection this application opened to a daemon it chose, a client or a process: sends to it wait for room
	 * (sends to an endpoint's peers never do, so endpoints have no such setting).
	 */
	public abstract static class Outgoing extends Connection {

		/** How long a send waits for room in a full write queue before failing; 0 fails at once. */
		private Duration sendTimeout = Duration.ofSeconds(30);

		public Duration getSendTimeout() {
			return this.sendTimeout;
		}

		public void setSendTimeout(Duration sendTimeout) {
			this.sendTimeout = sendTimeout;
		}
	}

	/** A listening endpoint: {@code imsg.endpoints.<name>.*}. */
	public static class Endpoint extends Connection {

		/** The UNIX socket's file system path. */
		private @Nullable Path path;

		/**
		 * Permissions of the socket file, in octal ("0600", "0660"); set before anyone can connect. Empty gives
		 * what bind(2) would: 0666 less the umask. Peers must also pass the auth rules.
		 */
		private @Nullable String socketMode = "0600";

		/**
		 * Refuse to start when the socket's directory belongs to another user (not root), or is writable by
		 * others without the sticky bit: they could replace the socket and pose as this daemon.
		 */
		private boolean socketDirectoryCheck = true;

		/**
		 * Take the listening socket from systemd (socket activation: LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES)
		 * instead of making one at path; the socket file, its mode and owner are then systemd's, never removed here.
		 */
		private boolean activated;

		/** With activated: the socket's FileDescriptorName= in the socket unit; unset when systemd passes exactly one. */
		private @Nullable String activatedName;

		public @Nullable Path getPath() {
			return this.path;
		}

		/** @param path the socket's path, relative to the working directory or absolute (see {@link Connection#toPath}) */
		public void setPath(@Nullable String path) {
			this.path = toPath(path);
		}

		public boolean isActivated() {
			return this.activated;
		}

		public void setActivated(boolean activated) {
			this.activated = activated;
		}

		public @Nullable String getActivatedName() {
			return this.activatedName;
		}

		public void setActivatedName(@Nullable String activatedName) {
			this.activatedName = activatedName;
		}

		/**
		 * Received descriptors one connection may hold (delivered, not yet taken or closed) before reading from it
		 * pauses until some are released.
		 */
		private int maxReceivedFds = 64;

		/** Group of the socket file, by name; the process's group when unset. */
		private @Nullable String socketGroup;

		/** Listen backlog: connections the kernel queues before they are accepted. */
		private int backlog = 128;

		/** Most connections served at once; peers beyond it are closed at once, unread, and counted. */
		private int maxConnections = 1024;

		/** Close a connection from which no complete message has arrived for this long; unset for never. */
		private @Nullable Duration idleTimeout;

		/**
		 * What to do when the path holds a socket file of this user's that refuses connections: replace it, or
		 * fail to start. A live server's socket, another user's, one that cannot be probed, and a non-socket are
		 * never removed, whatever this says.
		 */
		private ListenOptions.StaleSocket staleSocket = ListenOptions.StaleSocket.REPLACE;

		/** What happens to a message no handler takes: drop it (logged) or close the connection. */
		private UnhandledMessagePolicy unhandled = UnhandledMessagePolicy.DROP;

		/** Which peers may connect, judged from the kernel's credentials (SO_PEERCRED). */
		private final Auth auth = new Auth();

		public @Nullable String getSocketMode() {
			return this.socketMode;
		}

		public void setSocketMode(@Nullable String socketMode) {
			this.socketMode = (socketMode != null && socketMode.isEmpty()) ? null : socketMode;
		}

		public boolean isSocketDirectoryCheck() {
			return this.socketDirectoryCheck;
		}

		public void setSocketDirectoryCheck(boolean socketDirectoryCheck) {
			this.socketDirectoryCheck = socketDirectoryCheck;
		}

		public int getMaxReceivedFds() {
			return this.maxReceivedFds;
		}

		public void setMaxReceivedFds(int maxReceivedFds) {
			this.maxReceivedFds = maxReceivedFds;
		}

		public @Nullable String getSocketGroup() {
			return this.socketGroup;
		}

		public void setSocketGroup(@Nullable String socketGroup) {
			this.socketGroup = socketGroup;
		}

		public int getBacklog() {
			return this.backlog;
		}

		public void setBacklog(int backlog) {
			this.backlog = backlog;
		}

		public int getMaxConnections() {
			return this.maxConnections;
		}

		public void setMaxConnections(int maxConnections) {
			this.maxConnections = maxConnections;
		}

		public @Nullable Duration getIdleTimeout() {
			return this.idleTimeout;
		}

		public void setIdleTimeout(@Nullable Duration idleTimeout) {
			this.idleTimeout = idleTimeout;
		}

		public ListenOptions.StaleSocket getStaleSocket() {
			return this.staleSocket;
		}

		public void setStaleSocket(ListenOptions.StaleSocket staleSocket) {
			this.staleSocket = staleSocket;
		}

		public UnhandledMessagePolicy getUnhandled() {
			return this.unhandled;
		}

		public void setUnhandled(UnhandledMessagePolicy unhandled) {
			this.unhandled = unhandled;
		}

		public Auth getAuth() {
			return this.auth;
		}
	}

	/**
	 * Which peers an endpoint serves. A peer is allowed when any rule matches: its uid is the server's own (unless
	 * turned off), it is root and root is allowed, its uid or user is listed, or its primary gid or group is
	 * listed. An {@code ImsgPeerAuthorizer} bean is asked first and may decide alone.
	 */
	public static class Auth {

		/** Whether peers running as the server's own uid are allowed. */
		private boolean allowSameUser = true;

		/** Whether peers running as root (uid 0) are allowed. */
		private boolean allowRoot = false;

		/** Numeric user ids allowed to connect. */
		private List<Long> allowUids = new ArrayList<>();

		/** Numeric group ids allowed to connect (the peer's primary gid, as SO_PEERCRED reports it). */
		private List<Long> allowGids = new ArrayList<>();

		/** User names allowed to connect, resolved to uids through the OS at start-up. */
		private List<String> allowUsers = new ArrayList<>();

		/** Group names allowed to connect, resolved to gids through the OS at start-up. */
		private List<String> allowGroups = new ArrayList<>();

		public boolean isAllowSameUser() {
			return this.allowSameUser;
		}

		public void setAllowSameUser(boolean allowSameUser) {
			this.allowSameUser = allowSameUser;
		}

		public boolean isAllowRoot() {
			return this.allowRoot;
		}

		public void setAllowRoot(boolean allowRoot) {
			this.allowRoot = allowRoot;
		}

		public List<Long> getAllowUids() {
			return this.allowUids;
		}

		public void setAllowUids(List<Long> allowUids) {
			this.allowUids = allowUids;
		}

		public List<Long> getAllowGids() {
			return this.allowGids;
		}

		public void setAllowGids(List<Long> allowGids) {
			this.allowGids = allowGids;
		}

		public List<String> getAllowUsers() {
			return this.allowUsers;
		}

		public void setAllowUsers(List<String> allowUsers) {
			this.allowUsers = allowUsers;
		}

		public List<String> getAllowGroups() {
			return this.allowGroups;
		}

		public void setAllowGroups(List<String> allowGroups) {
			this.allowGroups = allowGroups;
		}
	}

	/** An outbound connection: {@code imsg.clients.<name>.*}. */
	public static class Client extends Outgoing {

		/** The UNIX socket's file system path. */
		private @Nullable Path path;

		/** How long one connection attempt may take. */
		private Duration connectTimeout = Duration.ofSeconds(5);

		/** Reconnecting after the connection fails or the daemon goes away. */
		private final Reconnect reconnect = new Reconnect();

		/**
		 * Instead of path: the connection is the socket the parent process left at this descriptor (3 for a
		 * child started as OpenBSD's proc.c starts them, or by imsg.processes in another application); never
		 * reconnected.
		 */
		private @Nullable Integer inheritedFd;

		public @Nullable Path getPath() {
			return this.path;
		}

		/** @param path the socket's path, relative to the working directory or absolute (see {@link Connection#toPath}) */
		public void setPath(@Nullable String path) {
			this.path = toPath(path);
		}

		public @Nullable Integer getInheritedFd() {
			return this.inheritedFd;
		}

		public void setInheritedFd(@Nullable Integer inheritedFd) {
			this.inheritedFd = inheritedFd;
		}

		public Duration getConnectTimeout() {
			return this.connectTimeout;
		}

		public void setConnectTimeout(Duration connectTimeout) {
			this.connectTimeout = connectTimeout;
		}

		public Reconnect getReconnect() {
			return this.reconnect;
		}
	}

	/** Exponential back-off between connection attempts. */
	public static class Reconnect {

		/** Whether a client reconnects after losing its connection, or after failing to connect at start-up. */
		private boolean enabled = true;

		/** Wait before the first retry. */
		private Duration initialBackoff = Duration.ofMillis(100);

		/** Longest wait between retries. */
		private Duration maxBackoff = Duration.ofSeconds(30);

		/** Factor by which the wait grows after each failed attempt. */
		private double multiplier = 2.0;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getInitialBackoff() {
			return this.initialBackoff;
		}

		public void setInitialBackoff(Duration initialBackoff) {
			this.initialBackoff = initialBackoff;
		}

		public Duration getMaxBackoff() {
			return this.maxBackoff;
		}

		public void setMaxBackoff(Duration maxBackoff) {
			this.maxBackoff = maxBackoff;
		}

		public double getMultiplier() {
			return this.multiplier;
		}

		public void setMultiplier(double multiplier) {
			this.multiplier = multiplier;
		}
	}

	/** A child process started with one end of a socket at a descriptor, and the connection to it. */
	public static class Sandbox {

		/** Whether the process is confined: it may open, execute and connect to only what is listed here. */
		private boolean enabled;

		/** Paths beneath which it may read (its program and the system libraries are always allowed). */
		private List<Path> read = new ArrayList<>();

		/** Paths beneath which it may also create, write and remove files, directories and sockets. */
		private List<Path> write = new ArrayList<>();

		/** Paths beneath which it may execute programs (its own program is always allowed). */
		private List<Path> execute = new ArrayList<>();

		/** TCP ports it may bind (none by default; needs Landlock ABI 4). */
		private List<Integer> tcpBind = new ArrayList<>();

		/** TCP ports it may connect to (none by default; needs Landlock ABI 4). */
		private List<Integer> tcpConnect = new ArrayList<>();

		/** Whether it may signal only processes it started itself, not its parent (needs Landlock ABI 6). */
		private boolean scopeSignals = true;

		/** Whether it may reach abstract UNIX sockets of its own domain only (needs Landlock ABI 6). */
		private boolean scopeAbstractUnix = true;

		/** Whether a JDK or kernel that cannot confine it as asked stops it being started (else one warning line). */
		private boolean required;

		/**
		 * Whether it is a JVM: its java.home, its class path (-cp, -jar) and what a JVM reads at start are then
		 * allowed. Unset: when the command's file name is "java".
		 */
		private @Nullable Boolean jvm;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public List<Path> getRead() {
			return this.read;
		}

		public void setRead(List<Path> read) {
			this.read = read;
		}

		public List<Path> getWrite() {
			return this.write;
		}

		public void setWrite(List<Path> write) {
			this.write = write;
		}

		public List<Path> getExecute() {
			return this.execute;
		}

		public void setExecute(List<Path> execute) {
			this.execute = execute;
		}

		public List<Integer> getTcpBind() {
			return this.tcpBind;
		}

		public void setTcpBind(List<Integer> tcpBind) {
			this.tcpBind = tcpBind;
		}

		public List<Integer> getTcpConnect() {
			return this.tcpConnect;
		}

		public void setTcpConnect(List<Integer> tcpConnect) {
			this.tcpConnect = tcpConnect;
		}

		public boolean isScopeSignals() {
			return this.scopeSignals;
		}

		public void setScopeSignals(boolean scopeSignals) {
			this.scopeSignals = scopeSignals;
		}

		public boolean isScopeAbstractUnix() {
			return this.scopeAbstractUnix;
		}

		public void setScopeAbstractUnix(boolean scopeAbstractUnix) {
			this.scopeAbstractUnix = scopeAbstractUnix;
		}

		public boolean isRequired() {
			return this.required;
		}

		public void setRequired(boolean required) {
			this.required = required;
		}

		public @Nullable Boolean getJvm() {
			return this.jvm;
		}

		public void setJvm(@Nullable Boolean jvm) {
			this.jvm = jvm;
		}
	}

	public static class ChildProcess extends Outgoing {

		/** The program: a path, or a name looked up in PATH. */
		private @Nullable String command;

		/** Its arguments. */
		private List<String> arguments = new ArrayList<>();

		/** Variables set for it on top of this application's environment. */
		private Map<String, String> environment = new LinkedHashMap<>();

		/** Its working directory; this application's when unset. */
		private @Nullable Path workingDirectory;

		/** The descriptor at which it finds its socket. */
		private int fd = 3;

		/** How long it has to exit after SIGTERM when the application stops, before SIGKILL. */
		private Duration stopGracePeriod = Duration.ofSeconds(5);

		/** Restarting it, with back-off, when it exits or its connection is lost. */
		private final Reconnect restart = new Reconnect();

		/**
		 * What losing it means: "restart" starts it again (with the restart back-off, within the start limit); "exit"
		 * stops the application, as an OpenBSD parent does. Either way it is stopped and reaped first.
		 */
		private ProcessExitPolicy onExit = ProcessExitPolicy.RESTART;

		/** Starts allowed within start-limit-interval; one more stops the application (systemd's StartLimitBurst). */
		private int startLimitBurst = 5;

		/** The interval start-limit-burst counts starts in (systemd's StartLimitIntervalSec). */
		private Duration startLimitInterval = Duration.ofSeconds(10);

		/** Confining it with Landlock from its first instruction (Java 22+ on Linux). */
		private final Sandbox sandbox = new Sandbox();

		public Sandbox getSandbox() {
			return this.sandbox;
		}

		public ProcessExitPolicy getOnExit() {
			return this.onExit;
		}

		public void setOnExit(ProcessExitPolicy onExit) {
			this.onExit = onExit;
		}

		public int getStartLimitBurst() {
			return this.startLimitBurst;
		}

		public void setStartLimitBurst(int startLimitBurst) {
			this.startLimitBurst = startLimitBurst;
		}

		public Duration getStartLimitInterval() {
			return this.startLimitInterval;
		}

		public void setStartLimitInterval(Duration startLimitInterval) {
			this.startLimitInterval = startLimitInterval;
		}

		public @Nullable String getCommand() {
			return this.command;
		}

		public void setCommand(@Nullable String command) {
			this.command = command;
		}

		public List<String> getArguments() {
			return this.arguments;
		}

		public void setArguments(List<String> arguments) {
			this.arguments = arguments;
		}

		public Map<String, String> getEnvironment() {
			return this.environment;
		}

		public void setEnvironment(Map<String, String> environment) {
			this.environment = environment;
		}

		public @Nullable Path getWorkingDirectory() {
			return this.workingDirectory;
		}

		public void setWorkingDirectory(@Nullable Path workingDirectory) {
			this.workingDirectory = workingDirectory;
		}

		public int getFd() {
			return this.fd;
		}

		public void setFd(int fd) {
			this.fd = fd;
		}

		public Duration getStopGracePeriod() {
			return this.stopGracePeriod;
		}

		public void setStopGracePeriod(Duration stopGracePeriod) {
			this.stopGracePeriod = stopGracePeriod;
		}

		public Reconnect getRestart() {
			return this.restart;
		}
	}

	/**
	 * What all endpoint and client connections together may hold, on top of each connection's own limits: bytes
	 * queued in either direction and received descriptors not yet taken. The connection whose reservation would
	 * go over it is closed, never the application.
	 */
	public static class Pledge {

		/**
		 * Whether, once the application is ready, a seccomp filter on every thread refuses execve, ptrace and the
		 * like (Linux x86_64, Java 22+; irreversible).
		 */
		private boolean forbidExec;

		/** Whether a JDK or kernel that cannot forbid them stops the application (else one warning line). */
		private boolean required;

		public boolean isForbidExec() {
			return this.forbidExec;
		}

		public void setForbidExec(boolean forbidExec) {
			this.forbidExec = forbidExec;
		}

		public boolean isRequired() {
			return this.required;
		}

		public void setRequired(boolean required) {
			this.required = required;
		}
	}

	public static class Budget {

		/** Bytes queued across connections (replies waiting to be written, messages waiting for handlers); unset for a quarter of the maximum heap. */
		private @Nullable DataSize memory;

		/** Received descriptors held across connections; unset for half the process's open-file limit (RLIMIT_NOFILE). */
		private @Nullable Integer descriptors;

		public @Nullable DataSize getMemory() {
			return this.memory;
		}

		public void setMemory(@Nullable DataSize memory) {
			this.memory = memory;
		}

		public @Nullable Integer getDescriptors() {
			return this.descriptors;
		}

		public void setDescriptors(@Nullable Integer descriptors) {
			this.descriptors = descriptors;
		}
	}

	/** Handler execution. */
	public static class Handlers {

		/**
		 * Threads running handler methods (messages of one connection run in order, different connections in
		 * parallel). Ignored when spring.threads.virtual.enabled=true: then every connection's handlers run on
		 * virtual threads.
		 */
		private int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

		/**
		 * Run handler methods on the event-loop thread that received the message, not on the handler threads: no
		 * thread hop per message, for handlers that never block. A blocking handler stalls every connection of its
		 * loop, and a reply that does not fit the write queue fails at once. Takes precedence over threads and
		 * virtual threads.
		 */
		private boolean inline;

		public int getThreads() {
			return this.threads;
		}

		public void setThreads(int threads) {
			this.threads = threads;
		}

		public boolean isInline() {
			return this.inline;
		}

		public void setInline(boolean inline) {
			this.inline = inline;
		}
	}
}
