package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/** The bench protocol's PING (type 2), answered with PONG (3) and the same payload, counted. */
public class PingHandler {

	final AtomicInteger pings = new AtomicInteger();

	@ImsgHandler(type = 2)
	ImsgReply ping(ByteBuffer payload) {
		this.pings.incrementAndGet();
		return ImsgReply.of(3, payload);
	}
}
