package io.github.imsg4j.demo;

import io.github.imsg4j.spring.ImsgStruct;

/**
 * The demo's message types (documented in docs/guide.md, "The demo daemon").
 */
public final class OpenerProtocol {

	/** Request: a NUL-terminated absolute path to open read-only. */
	public static final int OPEN = 1;

	/** Reply to OPEN: the descriptor, and the opened file's real path (NUL-terminated). */
	public static final int OPENED = 2;

	/** Reply to OPEN: a NUL-terminated reason. */
	public static final int DENIED = 3;

	/** Request: no payload. */
	public static final int STAT = 4;

	/** Reply to STAT: a {@link Stats} struct. */
	public static final int STATS = 5;

	/** Request: any payload. */
	public static final int PING = 6;

	/** Reply to PING: the same payload. */
	public static final int PONG = 7;

	/**
	 * Worker to parent, inside the daemon: "open this for that uid". Payload: the peer's uid in decimal, a space,
	 * the requested path; the header's peer id names the request.
	 */
	public static final int PARENT_OPEN = 100;

	/**
	 * Parent to worker: the outcome, with the request's peer id. Payload {@code OK <real path>} with the
	 * descriptor, or {@code DENIED <reason>}.
	 */
	public static final int PARENT_FILE = 101;

	private OpenerProtocol() {
	}

	/**
	 * {@code struct { uint64_t connections, opens, denials; }} in host order.
	 *
	 * @param connections connections open now
	 * @param opens files opened and handed out since start
	 * @param denials OPEN requests refused since start
	 */
	@ImsgStruct
	public record Stats(long connections, long opens, long denials) {
	}
}
