package io.github.imsg4j.core;

/**
 * How a child process ended, as {@code waitpid(2)} tells it.
 *
 * @param code the exit status when it exited, or -1 when a signal ended it
 * @param signal the signal that ended it, or 0 when it exited
 */
public record ChildExit(int code, int signal) {

	/**
	 * @return whether it exited with status 0
	 */
	public boolean success() {
		return this.code == 0 && this.signal == 0;
	}

	@Override
	public String toString() {
		return (this.signal != 0) ? "killed by signal " + this.signal : "exited with status " + this.code;
	}
}
