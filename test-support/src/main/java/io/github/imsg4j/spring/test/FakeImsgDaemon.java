package io.github.imsg4j.spring.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgReply;
import org.jspecify.annotations.Nullable;

/**
 * A daemon for tests of {@code imsg.clients}: listens on a socket in a fresh private temporary directory
 * ({@link #path()}, for {@code imsg.clients.<name>.path}), answers the types it was told to, and records every
 * message it got, descriptor included. An answer is whatever a real daemon does: one {@link ImsgReply} of any
 * type (a struct, a string, bytes, a descriptor), several, none, or {@link #HANG_UP}. Answers are computed on the
 * connection's event loop: keep them quick. Close it after the application (a bean of the test's configuration
 * whose destruction closes it, as the guide shows), so that the application's client is not told its daemon went
 * away while it still runs.
 */
public final class FakeImsgDaemon implements AutoCloseable {

	/**
	 * A message the daemon received, copied: its type, peer id, payload, and the descriptor that came with it (what
	 * {@code /proc/self/fd} said it named; the descriptor itself is closed).
	 *
	 * @param type the message type
	 * @param peerId the header's peer id
	 * @param payload the payload
	 * @param fd what the descriptor named (a path, {@code socket:[N]}...), or {@code null} when none came
	 */
	public record Received(int type, int peerId, byte[] payload, @Nullable String fd) {

		/**
		 * @return whether a descriptor came with it
		 */
		public boolean hadFd() {
			return this.fd != null;
		}

		/**
		 * @return the payload as a NUL-terminated string
		 */
		public String text() {
			int end = 0;
			while (end < this.payload.length && this.payload[end] != 0) {
				end++;
			}
			return new String(this.payload, 0, end, java.nio.charset.StandardCharsets.UTF_8);
		}
	}

	/** An answer that closes the connection, as a daemon that gives up on a client does. */
	public static final Object HANG_UP = new Object() {
		@Override
		public String toString() {
			return "hang up";
		}
	};

	private final Path dir;

	private final ImsgServer server;

	private final Map<Integer, Function<Received, @Nullable Object>> answers = new ConcurrentHashMap<>();

	private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

	private final List<Received> all = new ArrayList<>();

	private final List<ImsgChannel> connections = new ArrayList<>();

	private FakeImsgDaemon(WireFormat wire) {
		try {
			this.dir = Files.createTempDirectory("imsg4j-fake-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		ChannelOptions options = ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true);
		this.server = ImsgServer.listen(this.dir.resolve("daemon.sock"), options, (peer) -> new ImsgListener() {
			@Override
			public void onOpen(ImsgChannel channel) {
				synchronized (FakeImsgDaemon.this.connections) {
					FakeImsgDaemon.this.connections.add(channel);
				}
			}

			@Override
			public void onMessage(ImsgChannel channel, Imsg message) {
				answer(channel, message);
			}
		});
	}

	/**
	 * @return a daemon speaking the current wire generation
	 */
	public static FakeImsgDaemon start() {
		return start(WireFormat.CURRENT);
	}

	/**
	 * @param wire the wire generation it speaks
	 * @return the daemon
	 */
	public static FakeImsgDaemon start(WireFormat wire) {
		return new FakeImsgDaemon(wire);
	}

	/**
	 * Answers every message of {@code type} with one of {@code replyType} whose payload {@code reply} computes
	 * ({@code byte[]}, {@code ByteBuffer}, {@code String} sent NUL-terminated, or {@code null} for none).
	 *
	 * @param type the request type
	 * @param replyType the reply's type
	 * @param reply the reply's payload, from the request
	 * @return this daemon
	 */
	public FakeImsgDaemon on(int type, int replyType, Function<Received, @Nullable Object> reply) {
		return on(type, (request) -> ImsgReply.of(replyType, reply.apply(request)));
	}

	/**
	 * Answers every message of {@code type} as {@code answer} decides from it: {@code null} for no answer, an
	 * {@link ImsgReply} (any type; a payload as {@link ImsgReply#payload()} takes it, an {@code @ImsgStruct} record
	 * included; a descriptor with {@link ImsgReply#withFd}; the request's peer id unless it names one), a
	 * {@code Collection} of them for several, or {@link #HANG_UP} to close the connection.
	 *
	 * @param type the request type
	 * @param answer the answer, from the request
	 * @return this daemon
	 */
	public FakeImsgDaemon on(int type, Function<Received, @Nullable Object> answer) {
		this.answers.put(type, answer);
		return this;
	}

	/**
	 * @return the socket's path
	 */
	public Path path() {
		return this.server.path();
	}

	/**
	 * Waits for the next message the daemon receives.
	 *
	 * @param timeout the longest wait
	 * @return the message
	 * @throws AssertionError when none came in time
	 */
	public Received awaitMessage(Duration timeout) {
		try {
			Received r = this.received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
			if (r == null) {
				throw new AssertionError("the fake daemon received nothing within " + timeout);
			}
			return r;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
	}

	/**
	 * @return every message received so far, in order
	 */
	public List<Received> received() {
		synchronized (this.all) {
			return List.copyOf(this.all);
		}
	}

	private void answer(ImsgChannel channel, Imsg message) {
		Received r;
		try (message) {
			String fd = null;
			if (message.hasFd()) {
				java.io.FileDescriptor taken = message.takeFd();
				fd = Fds.target(taken).map(Path::toString).orElse("fd");
				Fds.closeQuietly(taken);
			}
			r = new Received(message.type(), message.peerId(), message.bytes(), fd);
		}
		synchronized (this.all) {
			this.all.add(r);
		}
		this.received.add(r);
		Function<Received, @Nullable Object> a = this.answers.get(r.type());
		Object answer;
		try {
			answer = (a != null) ? a.apply(r) : null;
		}
		catch (RuntimeException ex) {
			// the test's answer is broken: said at once, and the client sees the connection end, not a timeout
			System.err.println("FakeImsgDaemon: the answer to type " + Integer.toUnsignedString(r.type())
					+ " failed, hanging up: " + ex);
			channel.abort();
			return;
		}
		if (answer == HANG_UP) {
			channel.abort();
			return;
		}
		Collection<?> replies = (answer instanceof Collection<?> c) ? c
				: (answer != null) ? List.of(answer) : List.of();
		for (Object reply : replies) {
			try {
				if (!(reply instanceof ImsgReply ir)) {
					throw new IllegalArgumentException("an answer is an ImsgReply, a collection of them, null or HANG_UP, "
							+ "not " + reply);
				}
				Integer peerId = ir.peerId();
				channel.compose(ir.type(), (peerId != null) ? peerId : r.peerId(), 0, ir.fd(),
						ImsgTestClient.encode(ir.payload()));
			}
			catch (RuntimeException ex) {
				System.err.println("FakeImsgDaemon: cannot send the answer to type " + Integer.toUnsignedString(r.type())
						+ ", hanging up: " + ex);
				channel.abort();
				return;
			}
		}
	}

	/** Stops listening, closes every connection, and removes its directory. */
	@Override
	public void close() {
		this.server.close();
		synchronized (this.connections) {
			this.connections.forEach(ImsgChannel::abort);
		}
		try {
			Files.deleteIfExists(this.dir);
		}
		catch (IOException ex) {
			// left in the temporary directory
		}
	}
}
