package io.github.imsg4j.bench;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.ImsgSession;
import org.jspecify.annotations.Nullable;

/**
 * The bench protocol of {@code ../shared/bench-protocol.md} as {@code @ImsgHandler} methods: what an application
 * written on the starter does, so that its rates can be set beside the core's ({@code imsg4j bench server}).
 */
public class BenchProtocolHandlers {

	static final int DATA = 1;

	static final int PING = 2;

	static final int PONG = 3;

	static final int END = 4;

	static final int DONE = 5;

	/** DATA totals of one connection. Handlers of one connection run in order, one at a time. */
	static final class Totals {

		long msgs;

		long bytes;

		long fds;
	}

	private final Map<ImsgSession, Totals> totals = new ConcurrentHashMap<>();

	private Totals totals(ImsgSession session) {
		Totals t = this.totals.get(session);
		if (t == null) {
			t = new Totals();
			this.totals.put(session, t);
			session.closeFuture().whenComplete((v, ex) -> this.totals.remove(session));
		}
		return t;
	}

	@ImsgHandler(type = DATA)
	void data(ImsgSession session, ByteBuffer payload, @Nullable FileDescriptor fd) {
		Totals t = totals(session);
		t.msgs++;
		t.bytes += payload.remaining();
		if (fd != null) {
			Fds.closeQuietly(fd);
			t.fds++;
		}
	}

	@ImsgHandler(type = PING, replyType = PONG)
	ByteBuffer ping(ByteBuffer payload) {
		return payload;
	}

	@ImsgHandler(type = END, replyType = DONE)
	ByteBuffer end(ImsgSession session) {
		Totals t = totals(session);
		ByteBuffer done = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
		done.putLong(0, t.msgs).putLong(8, t.bytes).putLong(16, t.fds);
		return done;
	}
}
