package io.github.imsg4j.demo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.spring.ImsgReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The privileged parent's handler as a compromised worker would use it: the worker names the uid and the path,
 * and the parent trusts neither. Requests with 100,000 different uids leave nothing behind once answered; a
 * garbled request is answered DENIED with the reason, never left unanswered; opens in progress are capped across
 * uids, so the pool's queue is bounded; and the parent's descriptor count is back where it started.
 */
class CompromisedWorkerTest {

	@TempDir
	Path dir;

	private ParentHandlers parent;

	private ParentHandlers parent() throws Exception {
		Files.writeString(this.dir.resolve("f.txt"), "x");
		OpenerProperties props = new OpenerProperties(List.of(this.dir));
		this.parent = new ParentHandlers(props);
		return this.parent;
	}

	@AfterEach
	void close() {
		if (this.parent != null) {
			this.parent.destroy();
		}
	}

	private static Imsg request(int id, String text) {
		byte[] bytes = (text + "\0").getBytes(StandardCharsets.UTF_8);
		return new Imsg("worker", OpenerProtocol.PARENT_OPEN, id, 0, ByteBuffer.wrap(bytes), false, null);
	}

	private static String answer(ImsgReply reply) {
		return String.valueOf(reply.payload());
	}

	/** The descriptor an OK reply transfers is ours to close when the reply is not sent. */
	private static void closeFd(ImsgReply reply) throws java.io.IOException {
		if (reply.fd() != null) {
			new java.io.FileInputStream(reply.fd().fd()).close();
		}
	}

	@Test
	void requestsNamingNewUidsLeaveNothingBehind() throws Exception {
		ParentHandlers handlers = parent();
		int before = OpenFds.count();
		int n = 100_000;
		List<CompletableFuture<ImsgReply>> pending = new ArrayList<>();
		for (int uid = 0; uid < n; uid++) {
			// denied at once (outside the allowed directory), each with a uid never seen before
			pending.add(handlers.open(request(uid, (1_000_000 + uid) + " /etc/passwd")));
			if (pending.size() == 1000) {
				for (CompletableFuture<ImsgReply> f : pending) {
					ImsgReply reply = f.get(10, TimeUnit.SECONDS);
					assertThat(answer(reply)).startsWith("DENIED");
				}
				pending.clear();
			}
		}
		for (CompletableFuture<ImsgReply> f : pending) {
			f.get(10, TimeUnit.SECONDS);
		}
		assertThat(handlers.opener().uidsInProgress()).as("uids the parent still keeps").isZero();
		assertThat(OpenFds.awaitCount(before)).as("open descriptors").isEqualTo(before);
	}

	@Test
	void aGarbledRequestIsAnsweredWithTheReason() throws Exception {
		ParentHandlers handlers = parent();
		for (String garbled : new String[] { "no-uid-here", "notanumber /etc/passwd", "", " /etc/passwd",
				"99999999999999999999999 /x" }) {
			ImsgReply reply = handlers.open(request(7, garbled)).get(10, TimeUnit.SECONDS);
			assertThat(reply.type()).isEqualTo(OpenerProtocol.PARENT_FILE);
			assertThat(reply.peerId()).isEqualTo(7);
			assertThat(answer(reply)).as("answer to %s", garbled).startsWith("DENIED malformed request");
		}
		// and a well-formed one is still served
		ImsgReply ok = handlers.open(request(8, "1000 " + this.dir.resolve("f.txt"))).get(10, TimeUnit.SECONDS);
		assertThat(answer(ok)).startsWith("OK ");
		assertThat(ok.fd()).isNotNull();
		closeFd(ok);
	}

	@Test
	void opensInProgressAreCappedAcrossUids() throws Exception {
		ParentHandlers handlers = parent();
		// Hold every pool thread and fill the cap: each open blocks in the policy until released.
		java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
		handlers.policy().afterCheck = (p) -> {
			try {
				release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		};
		List<CompletableFuture<ImsgReply>> held = new ArrayList<>();
		try {
			for (int uid = 0; uid < Opener.MAX_IN_PROGRESS; uid++) {
				held.add(handlers.open(request(uid, uid + " " + this.dir.resolve("f.txt"))));
			}
			ImsgReply busy = handlers.open(request(1, "424242 " + this.dir.resolve("f.txt"))).get(10, TimeUnit.SECONDS);
			assertThat(answer(busy)).isEqualTo("DENIED busy: " + Opener.MAX_IN_PROGRESS + " opens are still in progress");
		}
		finally {
			release.countDown();
		}
		for (CompletableFuture<ImsgReply> f : held) {
			closeFd(f.get(10, TimeUnit.SECONDS));
		}
		assertThat(handlers.opener().uidsInProgress()).isZero();
	}
}
