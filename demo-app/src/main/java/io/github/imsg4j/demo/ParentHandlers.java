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

	Opener opener() {
		return this.opener;
	}

	/**
	 * Every request gets an answer, whatever the worker sent: the worker is assumed compromised one day, so a
	 * request it garbled is denied with the reason (never left unanswered for its peer to time out on), and
	 * nothing it names (the uid above all) is kept beyond the open it asks for.
	 */
	@ImsgHandler(endpoints = "worker", type = OpenerProtocol.PARENT_OPEN)
	CompletableFuture<ImsgReply> open(Imsg request) {
		int id = request.peerId();
		String path;
		long uid;
		try {
			String text = ImsgCodecs.decodeCString(request.reader());
			int space = text.indexOf(' ');
			if (space <= 0) {
				return denied(id, "malformed request: expected \"<uid> <path>\"");
			}
			uid = Long.parseLong(text.substring(0, space));
			path = text.substring(space + 1);
		}
		catch (RuntimeException ex) {
			return denied(id, "malformed request: " + ex.getMessage());
		}
		return this.opener.open(path, uid).handle((outcome, error) -> {
			if (outcome instanceof OpenPolicy.Opened opened) {
				// The descriptor is transferred: the channel closes our copy once it is sent.
				return ImsgReply.of(OpenerProtocol.PARENT_FILE, "OK " + opened.realPath())
					.withFd(OutboundFd.transfer(opened.fd()))
					.withPeerId(id);
			}
			String reason = (outcome instanceof OpenPolicy.Denied d) ? d.reason() : "failed: " + error;
			return deniedReply(id, reason);
		});
	}

	private static CompletableFuture<ImsgReply> denied(int id, String reason) {
		return CompletableFuture.completedFuture(deniedReply(id, reason));
	}

	private static ImsgReply deniedReply(int id, String reason) {
		return ImsgReply.of(OpenerProtocol.PARENT_FILE, "DENIED " + reason).withPeerId(id);
	}

	@Override
	public void destroy() {
		this.opener.close();
	}
}
