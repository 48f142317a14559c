package io.github.imsg4j.spring;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

/**
 * The routing table: for each endpoint or client name, which {@link ImsgHandlerMethod} takes which message type,
 * and the optional fallback. Built once at start-up; conflicts fail the start with both methods named.
 */
final class ImsgHandlerRegistry {

	private final Map<String, Map<Integer, ImsgHandlerMethod>> routes = new HashMap<>();

	private final Map<String, ImsgHandlerMethod> fallbacks = new HashMap<>();

	/** {@link Routes} by endpoint, made once: every connection of an endpoint shares them. */
	private final Map<String, Routes> resolved = new java.util.concurrent.ConcurrentHashMap<>();

	/**
	 * Routes every method to the endpoints it names (or to all of them).
	 *
	 * @param methods the handler methods found in the application
	 * @param names every endpoint and client name
	 * @throws IllegalStateException on an unknown endpoint name, two handlers for one type on one endpoint, or
	 *         two fallbacks on one endpoint
	 */
	public ImsgHandlerRegistry(Collection<ImsgHandlerMethod> methods, Collection<String> names) {
		for (String name : names) {
			this.routes.put(name, new HashMap<>());
		}
		for (ImsgHandlerMethod m : methods) {
			Set<String> targets = m.endpoints().isEmpty() ? Set.copyOf(names) : m.endpoints();
			for (String name : targets) {
				Map<Integer, ImsgHandlerMethod> table = this.routes.get(name);
				if (table == null) {
					throw new ImsgHandlerDefinitionException(m + " names endpoint '" + name
							+ "', which is in none of imsg.endpoints, imsg.clients and imsg.processes (known: "
							+ new TreeSet<>(names) + ")");
				}
				if (m.isFallback()) {
					ImsgHandlerMethod other = this.fallbacks.putIfAbsent(name, m);
					if (other != null) {
						throw new ImsgHandlerDefinitionException("two fallback handlers on endpoint '" + name + "': " + other
								+ " and " + m);
					}
					continue;
				}
				for (int type : m.types()) {
					ImsgHandlerMethod other = table.putIfAbsent(type, m);
					if (other != null && other != m) {
						throw new ImsgHandlerDefinitionException("two handlers for message type " + Integer.toUnsignedString(type)
								+ " on endpoint '" + name + "': " + other + " and " + m);
					}
				}
			}
		}
	}

	/**
	 * One endpoint's routes, resolved once so that each message costs a single lookup by type.
	 *
	 * @param endpoint an endpoint or client name
	 * @return its routes (none, for an unknown name)
	 */
	public Routes routes(String endpoint) {
		return this.resolved.computeIfAbsent(endpoint, (name) -> new Routes(
				Map.copyOf(this.routes.getOrDefault(name, Map.of())), this.fallbacks.get(name)));
	}

	/** The handlers of one endpoint by type, its fallback, and the metrics tag of each type. */
	public static final class Routes {

		private final Map<Integer, ImsgHandlerMethod> byType;

		private final @Nullable ImsgHandlerMethod fallback;

		private final Map<Integer, String> tags = new HashMap<>();

		/** Handlers of the types 0 to {@value #SMALL} - 1 by index: most protocols number their types from 1 up. */
		private final @Nullable ImsgHandlerMethod[] small = new ImsgHandlerMethod[SMALL];

		private final String[] smallTags = new String[SMALL];

		private static final int SMALL = 256;

		Routes(Map<Integer, ImsgHandlerMethod> byType, @Nullable ImsgHandlerMethod fallback) {
			this.byType = byType;
			this.fallback = fallback;
			java.util.Arrays.fill(this.smallTags, "other");
			for (Map.Entry<Integer, ImsgHandlerMethod> e : byType.entrySet()) {
				int type = e.getKey();
				this.tags.put(type, Integer.toUnsignedString(type));
				if (type >= 0 && type < SMALL) {
					this.small[type] = e.getValue();
					this.smallTags[type] = Integer.toString(type);
				}
			}
		}

		/**
		 * @param type a message type
		 * @return the handler for it, else the fallback, else {@code null}
		 */
		public @Nullable ImsgHandlerMethod lookup(int type) {
			ImsgHandlerMethod m = (type >= 0 && type < SMALL) ? this.small[type] : this.byType.get(type);
			return (m != null) ? m : this.fallback;
		}

		/**
		 * A metrics tag for a type: its number when a typed handler takes it on this endpoint, else {@code other},
		 * so that a peer sending random types cannot create unbounded meters. Built once, not per message.
		 *
		 * @param type a message type
		 * @return the tag
		 */
		public String typeTag(int type) {
			if (type >= 0 && type < SMALL) {
				return this.smallTags[type];
			}
			String tag = this.tags.get(type);
			return (tag != null) ? tag : "other";
		}
	}
}
