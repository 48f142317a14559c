package io.github.imsg4j.core;

import io.github.imsg4j.core.internal.SelfRestriction;

/**
 * What a worker forbids itself once it is ready, the JVM's {@code pledge(2)} for the calls a compromised worker
 * reaches for first: after {@link #forbidExecAndDebugging()} no thread of this process can run a program
 * ({@code execve}), read or write another process ({@code ptrace}, {@code process_vm_*}), or change the system
 * (modules, mounts, {@code kexec}, {@code bpf}, the keyring...). Unlike Landlock on this project's kernels (ABI 7,
 * one thread at a time), a seccomp filter reaches every thread of a running JVM ({@code SECCOMP_FILTER_FLAG_TSYNC}),
 * so a JVM can apply it to itself; it cannot be applied before {@code execve} (the filter would refuse the
 * {@code execve} that starts the program), hence "once ready". Spring applications set
 * {@code imsg.pledge.forbid-exec=true}; other programs call this. Linux x86_64, Java 22+.
 */
public final class ImsgPledge {

	private ImsgPledge() {
	}

	/**
	 * Forbids this process {@code execve}, {@code ptrace} and the like, on every thread; irreversible.
	 *
	 * @return what was forbidden, for the log
	 * @throws ImsgException when this JDK, kernel or architecture cannot (saying why); nothing is forbidden then
	 */
	public static String forbidExecAndDebugging() {
		if (Runtime.version().feature() < 22) {
			throw new ImsgException("forbidding execve and ptrace needs the foreign-function API (Java 22 or later); "
					+ "this is Java " + Runtime.version().feature());
		}
		SelfRestriction restriction;
		try {
			restriction = (SelfRestriction) Class.forName("io.github.imsg4j.core.internal.ffm.Seccomp")
				.getDeclaredConstructor()
				.newInstance();
		}
		catch (ReflectiveOperationException | LinkageError ex) {
			throw new ImsgException("forbidding execve and ptrace needs imsg4j-core's Java 22 classes: " + ex, ex);
		}
		try {
			return restriction.forbidExecAndDebugging();
		}
		catch (UnsupportedOperationException | IllegalStateException ex) {
			throw new ImsgException("cannot forbid execve and ptrace: " + ex.getMessage(), ex);
		}
	}
}
