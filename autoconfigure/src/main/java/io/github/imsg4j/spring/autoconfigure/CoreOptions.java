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
				.withWriteQueueLimit(c.getWriteQueueLimit().toBytes())
				.withSendTimeout(c.getSendTimeout());
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
					p.getWorkingDirectory(), p.getFd());
		});
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
