package io.github.imsg4j.demo;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.stereotype.Component;

/** The demo's protocol: OPEN, STAT, PING. */
@Component
class OpenerHandlers {

	private static final Log LOG = LogFactory.getLog(OpenerHandlers.class);

	private final OpenPolicy policy;

	private final ImsgEndpointRegistry registry;

	private final AtomicLong opens = new AtomicLong();

	private final AtomicLong denials = new AtomicLong();

	OpenerHandlers(OpenerProperties properties, ImsgEndpointRegistry registry) {
		this.policy = new OpenPolicy(properties.allowedDirectories());
		this.registry = registry;
	}

	OpenPolicy policy() {
		return this.policy;
	}

	@ImsgHandler(type = OpenerProtocol.OPEN)
	ImsgReply open(String path, PeerCredentials peer) {
		OpenPolicy.Outcome outcome = this.policy.open(path);
		if (outcome instanceof OpenPolicy.Opened opened) {
			this.opens.incrementAndGet();
			LOG.info("opened " + opened.realPath() + " for pid " + peer.pid() + " uid " + peer.uid());
			// The descriptor is transferred: the channel closes our copy once it is sent.
			return ImsgReply.of(OpenerProtocol.OPENED, opened.realPath().toString())
				.withFd(OutboundFd.transfer(opened.fd()));
		}
		String reason = ((OpenPolicy.Denied) outcome).reason();
		this.denials.incrementAndGet();
		LOG.info("denied " + path + " to pid " + peer.pid() + " uid " + peer.uid() + ": " + reason);
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
