package io.github.imsg4j.core.internal;

/**
 * The seam to {@code internal.ffm.Seccomp} (Java 22+), which Java 17 code reaches only after checking the running
 * JDK: what a process may forbid itself.
 */
public interface SelfRestriction {

	/**
	 * Forbids this process, every thread, {@code execve}, {@code ptrace} and the like; irreversible.
	 *
	 * @return what was forbidden, for the log
	 * @throws UnsupportedOperationException when this machine's architecture is not supported
	 * @throws IllegalStateException when the kernel refused
	 */
	String forbidExecAndDebugging();
}
