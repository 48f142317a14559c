package io.github.imsg4j.spring;

/**
 * What the application does when it must not go on: a child process whose loss its {@code on-exit} policy says
 * is fatal ended, or one restarted more often than its start limit allows. OpenBSD's privilege-separated parents
 * exit when they lose a child ({@code proc.c}); systemd gives up on a unit that restarts too often
 * ({@code StartLimitBurst}). The auto-configured one stops the application with exit status 1, as both do;
 * declare a bean of this type to do something else (tests record the report).
 */
@FunctionalInterface
public interface ImsgFatalHandler {

	/**
	 * Called once, on an imsg thread, after the report was logged at ERROR.
	 *
	 * @param report what happened, naming the process and how it ended
	 */
	void fatal(String report);
}
