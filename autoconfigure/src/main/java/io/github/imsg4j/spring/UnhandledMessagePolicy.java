package io.github.imsg4j.spring;

/** What an endpoint does with a message whose type no {@link ImsgHandler} takes and no fallback handler exists. */
public enum UnhandledMessagePolicy {

	/** Log it (with connection, peer and type) and drop it; the connection stays up. */
	DROP,

	/** Log it and close the connection, as a daemon that only speaks a fixed protocol would. */
	CLOSE
}
