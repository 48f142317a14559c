package io.github.imsg4j.demo;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.PeerLogLimiter;
import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.ImsgSession;
import io.github.imsg4j.spring.ImsgTemplate;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * The sandboxed worker's side, the one peers talk to (OPEN, STAT, PING on {@code imsg.endpoints.opener}): it
 * holds no policy and opens nothing itself; it asks the privileged parent ({@code imsg.clients.parent}, the
 * socket the parent left at fd 3) and hands on the descriptor it gets back.
 */
@Component
@Profile("worker")
class OpenerHandlers {

	private static final Log LOG = LogFactory.getLog(OpenerHandlers.class);

	/** How long a peer waits for the parent's answer before it is denied. */
	static final Duration PARENT_TIMEOUT = Duration.ofSeconds(60);

	private final ImsgEndpointRegistry registry;

	private final ImsgTemplate template;

	private final AtomicLong opens = new AtomicLong();

	private final AtomicLong denials = new AtomicLong();

	private final AtomicInteger requests = new AtomicInteger();

	/** Requests sent to the parent, by the peer id that names them. */
	private final Map<Integer, CompletableFuture<ParentAnswer>> pending = new ConcurrentHashMap<>();

	/** Every peer's requests together: at most 20 lines a second (bursts of 100); the counters keep the rest. */
	private final PeerLogLimiter.Connection requestLog = new PeerLogLimiter(Integer.MAX_VALUE, 20, 100).connection();

	OpenerHandlers(ImsgEndpointRegistry registry, ImsgTemplate template) {
		this.registry = registry;
		this.template = template;
	}

	/** What the parent said: OK with a descriptor and the real path, or DENIED with a reason. */
	private record ParentAnswer(boolean ok, String text, @Nullable FileDescriptor fd) {
	}

	/** The last reply under way per connection: each request is answered after the ones before it. */
	private final Map<ImsgSession, CompletableFuture<?>> tails = new ConcurrentHashMap<>();

	/**
	 * Runs {@code next} once every earlier request of the session is answered, so that a peer gets its replies in
	 * the order it asked (an OPEN waits for the parent; a STAT right after it must not overtake it).
	 */
	private <T> CompletableFuture<T> inOrder(ImsgSession session, Supplier<CompletableFuture<T>> next) {
		List<CompletableFuture<T>> made = new ArrayList<>(1);
		this.tails.compute(session, (s, previous) -> {
			if (previous == null) {
				s.closeFuture().whenComplete((v, ex) -> this.tails.remove(s));
			}
			CompletableFuture<?> after = (previous != null) ? previous.handle((v, ex) -> null)
					: CompletableFuture.completedFuture(null);
			CompletableFuture<T> f = after.thenCompose((v) -> next.get());
			made.add(f);
			return f;
		});
		return made.get(0);
	}

	@ImsgHandler(endpoints = "opener", type = OpenerProtocol.OPEN)
	CompletableFuture<ImsgReply> open(String path, PeerCredentials peer, ImsgSession session) {
		return inOrder(session, () -> askParent(path, peer));
	}

	private CompletableFuture<ImsgReply> askParent(String path, PeerCredentials peer) {
		int id = this.requests.incrementAndGet();
		CompletableFuture<ParentAnswer> answer = new CompletableFuture<>();
		this.pending.put(id, answer);
		try {
			this.template.send("parent", OpenerProtocol.PARENT_OPEN, id, peer.uid() + " " + path, null);
		}
		catch (RuntimeException ex) {
			this.pending.remove(id);
			answer.complete(new ParentAnswer(false, "the privileged parent is not reachable", null));
		}
		return answer.orTimeout(PARENT_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS).handle((a, ex) -> {
			this.pending.remove(id);
			ParentAnswer got = (a != null) ? a : new ParentAnswer(false, "the privileged parent did not answer", null);
			return reply(path, peer, got);
		});
	}

	private ImsgReply reply(String path, PeerCredentials peer, ParentAnswer answer) {
		if (answer.ok() && answer.fd() != null) {
			this.opens.incrementAndGet();
			log("opened " + PeerLogLimiter.escape(answer.text(), 200) + " for pid " + peer.pid() + " uid " + peer.uid());
			return ImsgReply.of(OpenerProtocol.OPENED, answer.text()).withFd(OutboundFd.transfer(answer.fd()));
		}
		this.denials.incrementAndGet();
		log("denied " + PeerLogLimiter.escape(path, 200) + " to pid " + peer.pid() + " uid " + peer.uid() + ": "
				+ answer.text());
		return ImsgReply.of(OpenerProtocol.DENIED, answer.text());
	}

	/** The parent's answer to a request: matched by peer id; its descriptor taken before the message is closed. */
	@ImsgHandler(endpoints = "parent", type = OpenerProtocol.PARENT_FILE)
	void fromParent(Imsg answer) {
		CompletableFuture<ParentAnswer> waiting = this.pending.remove(answer.peerId());
		String text = ImsgCodecs.decodeCString(answer.reader());
		boolean ok = text.startsWith("OK ") && answer.hasFd();
		FileDescriptor fd = ok ? answer.takeFd() : null;
		ParentAnswer parsed = new ParentAnswer(ok, text.substring(text.indexOf(' ') + 1), fd);
		if (waiting == null || !waiting.complete(parsed)) {
			if (fd != null) {
				Fds.closeQuietly(fd); // its requester gave up waiting
			}
		}
	}

	@ImsgHandler(endpoints = "opener", type = OpenerProtocol.STAT, replyType = OpenerProtocol.STATS)
	CompletableFuture<OpenerProtocol.Stats> stat(ImsgSession session) {
		return inOrder(session, () -> CompletableFuture.completedFuture(new OpenerProtocol.Stats(
				this.registry.endpoint("opener").sessions().size(), this.opens.get(), this.denials.get())));
	}

	@ImsgHandler(endpoints = "opener", type = OpenerProtocol.PING, replyType = OpenerProtocol.PONG)
	CompletableFuture<ByteBuffer> ping(ByteBuffer payload, ImsgSession session) {
		// the payload is a view of the message, valid until this returns: copied for a later reply
		ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload.duplicate()).flip();
		return inOrder(session, () -> CompletableFuture.completedFuture(copy));
	}

	/** One line per request, with the path escaped (a newline in it cannot forge a record) and the rate bounded. */
	private void log(String line) {
		PeerLogLimiter.Verdict v = this.requestLog.next();
		if (v == PeerLogLimiter.Verdict.LOG) {
			LOG.info(this.requestLog.decorate(line, v));
		}
	}
}
