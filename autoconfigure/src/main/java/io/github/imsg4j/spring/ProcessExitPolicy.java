package io.github.imsg4j.spring;

/**
 * What losing a child process means ({@code imsg.processes.<name>.on-exit}): it is always stopped and reaped
 * first; then it is started again, or the application stops.
 */
public enum ProcessExitPolicy {

	/** Start it again with back-off, up to the start limit; past that, the application stops. */
	RESTART,

	/** The application stops, as an OpenBSD parent does when it loses a child. */
	EXIT
}
