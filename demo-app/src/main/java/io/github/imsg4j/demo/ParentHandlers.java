package io.github.imsg4j.demo;

import java.util.concurrent.CompletableFuture;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.spring.ImsgCodecs;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;

/**
 * The privileged parent's side: it holds the open policy and opens files, for its worker only (the worker is
 * its only connection: {@code imsg.processes.worker}). Nothing a peer sends reaches it but through the worker.
 */
@Component
@Profile("!worker")
class ParentHandlers implements DisposableBean {

	private final OpenPolicy policy;

	private final Opener opener;

	ParentHandlers(OpenerProperties properties) {
		this.policy = new OpenPolicy(properties.allowedDirectories());
		this.opener = new Opener(this.policy);
	}

	OpenPolicy policy() {
		return this.policy;
	}

	@ImsgHandler(endpoints = "worker", type = OpenerProtocol.PARENT_OPEN)
	CompletableFuture<ImsgReply> open(Imsg request) {
		String text = ImsgCodecs.decodeCString(request.reader());
		int space = text.indexOf(' ');
		long uid = (space > 0) ? Long.parseLong(text.substring(0, space)) : -1;
		String path = text.substring(space + 1);
		int id = request.peerId();
		return this.opener.open(path, uid).thenApply((outcome) -> {
			if (outcome instanceof OpenPolicy.Opened opened) {
				// The descriptor is transferred: the channel closes our copy once it is sent.
				return ImsgReply.of(OpenerProtocol.PARENT_FILE, "OK " + opened.realPath())
					.withFd(OutboundFd.transfer(opened.fd()))
					.withPeerId(id);
			}
			return ImsgReply.of(OpenerProtocol.PARENT_FILE, "DENIED " + ((OpenPolicy.Denied) outcome).reason())
				.withPeerId(id);
		});
	}

	@Override
	public void destroy() {
		this.opener.close();
	}
}
