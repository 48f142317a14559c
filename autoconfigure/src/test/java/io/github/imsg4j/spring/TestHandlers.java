package io.github.imsg4j.spring;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PeerCredentials;

/** Handlers exercising every argument kind and return value; the tests talk to them over real sockets. */
public class TestHandlers {

	/** A C struct {@code { int32_t x; int16_t y; int64_t z; }}: 16 bytes with padding after y. */
	@ImsgStruct
	public record Point(int x, short y, long z) {
	}

	/** What the header and argument handler saw. */
	@ImsgStruct
	public record Seen(int peerId, int pid, int type, int uid, int bytes, int buffer, int reader, boolean sameChannel,
			boolean sameMessage) {
	}

	/** Sequence numbers seen per handler call, in order, for the ordering test. */
	final List<Integer> sequence = new CopyOnWriteArrayList<>();

	/** Released by the test to let blocked handlers finish. */
	volatile CountDownLatch release = new CountDownLatch(0);

	/** Counts down when a slow handler starts. */
	volatile CountDownLatch started = new CountDownLatch(0);

	/** Counts down once per connection, so that two handlers of two connections meet. */
	volatile CountDownLatch meet = new CountDownLatch(2);

	final AtomicInteger slowHandled = new AtomicInteger();

	@ImsgHandler(type = 10, replyType = 11)
	String upper(String text) {
		return text.toUpperCase();
	}

	@ImsgHandler(type = 20)
	ImsgReply everything(byte[] bytes, @ImsgPeerId int peerId, @ImsgPid int pid, @ImsgType long type,
			PeerCredentials peer, ImsgSession session, PayloadReader reader, ByteBuffer buffer, Imsg message,
			ImsgChannel channel) {
		return ImsgReply.of(21, new Seen(peerId, pid, (int) type, (int) peer.uid(), bytes.length, buffer.remaining(),
				reader.remaining(), channel == session.channel(), message.type() == 20));
	}

	@ImsgHandler(type = 30, replyType = 31)
	Point move(Point p) {
		return new Point(p.x() + 1, (short) (p.y() + 1), p.z() + 1);
	}

	@ImsgHandler(type = 40)
	ImsgReply fdBack(FileDescriptor fd) {
		// Received descriptor, now ours, handed straight back: the channel closes it once sent.
		return (fd == null) ? ImsgReply.of(43, "none") : ImsgReply.of(41, "back").withFd(OutboundFd.transfer(fd));
	}

	@ImsgHandler(type = 50)
	CompletableFuture<ImsgReply> later(ByteBuffer payload) {
		int n = payload.remaining();
		return CompletableFuture.supplyAsync(() -> ImsgReply.of(51, new byte[n]));
	}

	@ImsgHandler(type = 60)
	void fail() {
		throw new IllegalStateException("handler 60 always fails");
	}

	@ImsgHandler(type = 70)
	void replyLater(ImsgSession session) {
		new Thread(() -> session.send(71, "from another thread")).start();
	}

	@ImsgHandler(type = 90, replyType = 91)
	byte[] ordered(PayloadReader in) {
		int seq = in.getH32();
		this.sequence.add(seq);
		return ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(seq).array();
	}

	@ImsgHandler(type = 92, replyType = 93)
	String meet() throws InterruptedException {
		this.meet.countDown();
		return this.meet.await(10, TimeUnit.SECONDS) ? "met" : "alone";
	}

	@ImsgHandler(type = 100, replyType = 101)
	String slow(String text) throws InterruptedException {
		this.started.countDown();
		this.release.await(30, TimeUnit.SECONDS);
		this.slowHandled.incrementAndGet();
		return text;
	}

	@ImsgHandler(fallback = true, endpoints = "b")
	ImsgReply anything(@ImsgType int type) {
		return ImsgReply.of(99, String.valueOf(type));
	}
}
