package io.github.imsg4j.spring.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
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
import org.jspecify.annotations.Nullable;

/**
 * A daemon for tests of {@code imsg.clients}: listens on a socket in a fresh private temporary directory
 * ({@link #path()}, for {@code imsg.clients.<name>.path}), answers the types it was told to, and records every
 * message it got. Answers are computed on the connection's event loop: keep them quick.
 */
public final class FakeImsgDaemon implements AutoCloseable {

	/** A message the daemon received, copied: its type, peer id, payload, and whether a descriptor came with it. */
	public record Received(int type, int peerId, byte[] payload, boolean hadFd) {

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

	private record Answer(int replyType, Function<Received, @Nullable Object> payload) {
	}

	private final Path dir;

	private final ImsgServer server;

	private final Map<Integer, Answer> answers = new ConcurrentHashMap<>();

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
		this.answers.put(type, new Answer(replyType, reply));
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
		try (message) {
			boolean hadFd = message.hasFd();
			if (hadFd) {
				Fds.closeQuietly(message.takeFd());
			}
			Received r = new Received(message.type(), message.peerId(), message.bytes(), hadFd);
			synchronized (this.all) {
				this.all.add(r);
			}
			this.received.add(r);
			Answer a = this.answers.get(message.type());
			if (a != null) {
				channel.compose(a.replyType(), message.peerId(), 0, null, ImsgTestClient.encode(a.payload().apply(r)));
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
