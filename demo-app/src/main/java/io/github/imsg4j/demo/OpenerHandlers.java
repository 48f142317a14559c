package io.github.imsg4j.demo;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.PeerLogLimiter;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.stereotype.Component;

/** The demo's protocol: OPEN, STAT, PING. */
@Component
class OpenerHandlers implements org.springframework.beans.factory.DisposableBean {

	private static final Log LOG = LogFactory.getLog(OpenerHandlers.class);

	private final OpenPolicy policy;

	private final ImsgEndpointRegistry registry;

	private final AtomicLong opens = new AtomicLong();

	private final AtomicLong denials = new AtomicLong();

	/** Every peer's requests together: at most 20 lines a second (bursts of 100); the counters keep the rest. */
	private final PeerLogLimiter.Connection requestLog = new PeerLogLimiter(Integer.MAX_VALUE, 20, 100).connection();

	private final Opener opener;

	OpenerHandlers(OpenerProperties properties, ImsgEndpointRegistry registry) {
		this.policy = new OpenPolicy(properties.allowedDirectories());
		this.opener = new Opener(this.policy);
		this.registry = registry;
	}

	@Override
	public void destroy() {
		this.opener.close();
	}

	/** One line per request, with the path escaped (a newline in it cannot forge a record) and the rate bounded. */
	private void log(String line) {
		PeerLogLimiter.Verdict v = this.requestLog.next();
		if (v == PeerLogLimiter.Verdict.LOG) {
			LOG.info(this.requestLog.decorate(line, v));
		}
	}

	OpenPolicy policy() {
		return this.policy;
	}

	/** Opens off the handler threads: nothing a peer places at an allowed path can stall other peers (see {@link Opener}). */
	@ImsgHandler(type = OpenerProtocol.OPEN)
	CompletableFuture<ImsgReply> open(String path, PeerCredentials peer) {
		return this.opener.open(path, peer.uid()).thenApply((outcome) -> reply(path, peer, outcome));
	}

	private ImsgReply reply(String path, PeerCredentials peer, OpenPolicy.Outcome outcome) {
		if (outcome instanceof OpenPolicy.Opened opened) {
			this.opens.incrementAndGet();
			log("opened " + PeerLogLimiter.escape(opened.realPath().toString(), 200) + " for pid " + peer.pid() + " uid "
					+ peer.uid());
			// The descriptor is transferred: the channel closes our copy once it is sent.
			return ImsgReply.of(OpenerProtocol.OPENED, opened.realPath().toString())
				.withFd(OutboundFd.transfer(opened.fd()));
		}
		String reason = ((OpenPolicy.Denied) outcome).reason();
		this.denials.incrementAndGet();
		log("denied " + PeerLogLimiter.escape(path, 200) + " to pid " + peer.pid() + " uid " + peer.uid() + ": " + reason);
		return ImsgReply.of(OpenerProtocol.DENIED, reason);
	}

	@ImsgHandler(type = OpenerProtocol.STAT, replyType = OpenerProtocol.STATS)
	OpenerProtocol.Stats stat() {
		return new OpenerProtocol.Stats(this.registry.endpoint("opener").sessions().size(), this.opens.get(),
				this.denials.get());
	}

	@ImsgHandler(type = OpenerProtocol.PING, replyType = OpenerProtocol.PONG)
	ByteBuffer ping(ByteBuffer payload) {
		return payload;
	}
}
