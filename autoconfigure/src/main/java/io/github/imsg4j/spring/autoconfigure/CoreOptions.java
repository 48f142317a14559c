package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgBudget;
import io.github.imsg4j.core.ImsgChildProcess;
import io.github.imsg4j.core.ImsgSandbox;
import io.github.imsg4j.core.ImsgOptionException;
import io.github.imsg4j.core.ListenOptions;
import org.jspecify.annotations.Nullable;

/**
 * Properties to the core's option objects. The core checks every value it takes and names the option it
 * refused ({@link ImsgOptionException}); this class turns that name into the property's, so that each rule is
 * written once, in the core, and reported in the user's terms. Used both to validate the properties at binding
 * and to build what the endpoints run with.
 */
final class CoreOptions {

	/** Core option names that differ from the property's last segment in kebab case. */
	private static final Map<String, String> PROPERTY_NAMES = Map.of("mode", "socket-mode", "group", "socket-group",
			"wireFormat", "wire", "maxBytes", "memory", "maxFds", "descriptors");

	private static final Pattern OPTION_NAME = Pattern.compile("\\b[a-z]+[A-Z][A-Za-z]*\\b");

	private CoreOptions() {
	}

	static ChannelOptions channel(String prefix, ImsgProperties.Connection c) {
		return mapped(prefix, () -> {
			ChannelOptions options = ChannelOptions.defaults()
				.withWireFormat(c.getWire())
				.withMaxMessageSize((int) Math.min(Integer.MAX_VALUE, c.getMaxMessageSize().toBytes()))
				.withFdPassing(c.isFdPassing())
				.withWriteQueueLimit(c.getWriteQueueLimit().toBytes());
			if (c instanceof ImsgProperties.Outgoing o) {
				return options.withSendTimeout(o.getSendTimeout());
			}
			// sends to an endpoint's peers never wait (ImsgSession): the core's send timeout is left at its default
			return (c instanceof ImsgProperties.Endpoint ep) ? options.withMaxReceivedFds(ep.getMaxReceivedFds())
					: options;
		});
	}

	static void socketPath(String prefix, @Nullable Path path) {
		if (path != null) {
			mapped(prefix, () -> ListenOptions.checkSocketPath(path));
		}
	}

	static ListenOptions listen(String prefix, ImsgProperties.Endpoint ep) {
		return mapped(prefix, () -> ListenOptions.defaults()
			.withBacklog(ep.getBacklog())
			.withStaleSocket(ep.getStaleSocket())
			.withGroup(ep.getSocketGroup())
			.withMode((ep.getSocketMode() != null) ? ListenOptions.parseMode(ep.getSocketMode()) : null)
			.withDirectoryCheck(ep.isSocketDirectoryCheck()));
	}

	static ImsgChildProcess.Spec child(String prefix, ImsgProperties.ChildProcess p) {
		return mapped(prefix, () -> {
			List<String> command = new ArrayList<>();
			command.add((p.getCommand() != null) ? p.getCommand() : "");
			command.addAll(p.getArguments());
			return new ImsgChildProcess.Spec(command, new HashMap<>(p.getEnvironment()), true,
					p.getWorkingDirectory(), p.getFd(), sandbox(command, p.getSandbox()));
		});
	}

	/**
	 * The child's sandbox: its program and the system libraries executable always; for a JVM (the command's file
	 * name is {@code java}, unless {@code jvm} says otherwise) its {@code java.home} (the command's grandparent
	 * directory), its class path ({@code -cp}, {@code -classpath}, {@code --class-path}, {@code -jar}) and what a JVM
	 * reads at start; then what the properties list.
	 */
	static @Nullable ImsgSandbox sandbox(List<String> command, ImsgProperties.Sandbox p) {
		if (!p.isEnabled()) {
			return null;
		}
		Path program = Path.of(command.get(0));
		// the java command itself, or the one a wrapper runs (setpriv ... /usr/lib/jvm/x/bin/java -cp ...)
		Path java = command.stream().map(Path::of).filter((c) -> c.getFileName() != null
				&& c.getFileName().toString().equals("java")).findFirst().orElse(null);
		ImsgSandbox box = ImsgSandbox.of(program);
		boolean jvm = (p.getJvm() != null) ? p.getJvm() : java != null;
		if (jvm) {
			Path launcher = (java != null) ? java : program;
			Path bin = launcher.toAbsolutePath().getParent();
			Path home = (bin != null && bin.getParent() != null) ? bin.getParent() : launcher;
			box = ImsgSandbox.forJvm(home, classPath(command)).withExecute(List.of(program));
		}
		return box.withRead(p.getRead())
			.withWrite(p.getWrite())
			.withExecute(p.getExecute())
			.withTcp(p.getTcpBind(), p.getTcpConnect())
			.withScopes(p.isScopeSignals(), p.isScopeAbstractUnix())
			.withRequired(p.isRequired());
	}

	/** The class path a {@code java} command line names: {@code -cp} and its aliases, or {@code -jar}. */
	static List<Path> classPath(List<String> command) {
		List<Path> out = new ArrayList<>();
		for (int i = 1; i < command.size() - 1; i++) {
			String a = command.get(i);
			if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-jar")) {
				for (String e : command.get(i + 1).split(":")) {
					if (!e.isEmpty()) {
						out.add(Path.of(e.endsWith("/*") ? e.substring(0, e.length() - 2) : e));
					}
				}
			}
		}
		return out;
	}


	static ImsgBudget budget(ImsgProperties.Budget b) {
		ImsgBudget shared = ImsgBudget.shared();
		if (b.getMemory() == null && b.getDescriptors() == null) {
			return shared;
		}
		return mapped("imsg.budget", () -> new ImsgBudget(
				(b.getMemory() != null) ? b.getMemory().toBytes() : shared.maxBytes(),
				(b.getDescriptors() != null) ? b.getDescriptors() : shared.maxFds()));
	}

	private static <T> T mapped(String prefix, Supplier<T> build) {
		try {
			return build.get();
		}
		catch (ImsgOptionException ex) {
			// the expected text may name other options ("at least maxMessageSize"): in property names too
			String expected = OPTION_NAME.matcher(ex.expected()).replaceAll((m) -> propertyName(m.group()));
			throw new InvalidImsgPropertyException(prefix + "." + propertyName(ex.option()), ex.value(), expected);
		}
	}

	/** {@code writeQueueLimit} to {@code write-queue-limit}, as Boot's relaxed binding names it. */
	static String propertyName(String option) {
		String name = PROPERTY_NAMES.get(option);
		if (name != null) {
			return name;
		}
		StringBuilder kebab = new StringBuilder(option.length() + 4);
		for (char ch : option.toCharArray()) {
			if (Character.isUpperCase(ch)) {
				kebab.append('-').append(Character.toLowerCase(ch));
			}
			else {
				kebab.append(ch);
			}
		}
		return kebab.toString();
	}
}
