package io.github.imsg4j.core.internal;

import java.time.Duration;
import java.util.List;

/**
 * What both spawners' children share: how the child is confined, and its output passing through this process.
 * Immutable but for {@link ChildOutput}, which is thread-safe.
 */
public abstract class StartedChild implements Spawner.Spawned {

	private final String confinement;

	private final ChildOutput output;

	/**
	 * @param confinement how it is confined, for the start-up line
	 * @param output its standard output and error, passed on
	 */
	protected StartedChild(String confinement, ChildOutput output) {
		this.confinement = confinement;
		this.output = output;
	}

	@Override
	public final String confinement() {
		return this.confinement;
	}

	@Override
	public final List<String> lastOutput() {
		if (exit().isDone()) {
			// what it wrote last may still be on its way through the pipes
			this.output.awaitEnd(Duration.ofSeconds(1));
		}
		return this.output.lastLines();
	}
}
