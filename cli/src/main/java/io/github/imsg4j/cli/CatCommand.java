package io.github.imsg4j.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.ImsgSocketLayer;
import io.github.imsg4j.core.OutboundFd;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * A netcat for imsg: sends each line of stdin as a message and prints each received message as one line.
 * Received descriptors are described (what {@code /proc/self/fd} says they point to) and closed.
 */
@Command(name = "cat", mixinStandardHelpOptions = true,
		description = { "Send stdin lines as imsg messages; print received messages, one per line.",
				"Input: TYPE [peerid=N] [pid=N] [fd=FILE] [text=S | z=S | hex=HEX | file=PATH]",
				"  (text= and z= take the rest of the line; z= adds the terminating NUL)",
				"Output: type=T len=L peerid=P pid=X fd=F payload=HEX \"text\"  (len counts the header)" })
final class CatCommand implements Callable<Integer> {

	@Mixin
	ConnectionOptions connection;

	@Mixin
	ListenerOptions listener;

	@Option(names = "--listen", description = "listen on PATH and serve the first peer, instead of connecting")
	boolean listen;

	@Option(names = "--json", description = "print one JSON object per line")
	boolean json;

	@Option(names = "--count", description = "exit after receiving this many messages, once every stdin line is sent "
			+ "(stdin at its end); without it, cat exits when the peer closes")
	int count = -1;

	@Option(names = "--decode", paramLabel = "FIELDS", description = "also print each payload read as a C struct of "
			+ "these fields, comma-separated, host byte order: u8 u16 u32 u64 i8 i16 i32 i64 cstr (e.g. u64,u64,u64)")
	String decode;

	@Option(names = "--timeout", paramLabel = "DURATION", description = "once stdin is at its end, how long to wait "
			+ "for the next message before giving up with exit status 3 (ISO-8601 like PT30S, or 30s, 500ms; "
			+ "0 waits forever; default: ${DEFAULT-VALUE})", defaultValue = "30s", converter = DurationConverter.class)
	Duration timeout;

	@Parameters(paramLabel = "PATH", description = "the UNIX socket")
	Path path;

	private final PrintStream out = System.out;

	@Override
	public Integer call() throws Exception {
		MessageFormat format = new MessageFormat(this.json, (this.decode != null) ? PayloadDecoder.parse(this.decode) : null);
		AtomicLong lastNanos = new AtomicLong(System.nanoTime());
		CompletableFuture<ImsgChannel> opened = new CompletableFuture<>();
		CompletableFuture<Void> finished = new CompletableFuture<>();
		AtomicInteger received = new AtomicInteger();
		CompletableFuture<Void> counted = new CompletableFuture<>();
		CompletableFuture<Void> inputDone = new CompletableFuture<>();
		counted.runAfterBoth(inputDone, () -> finished.complete(null));
		ImsgListener listener = new ImsgListener() {
			@Override
			public void onOpen(ImsgChannel channel) {
				opened.complete(channel);
			}

			@Override
			public void onMessage(ImsgChannel channel, Imsg message) {
				try (message) {
					String fd = null;
					if (message.hasFd()) {
						java.io.FileDescriptor taken = message.takeFd();
						fd = MessageFormat.describe(taken);
						Fds.closeQuietly(taken);
					}
					print(format.message("", message, fd));
				}
				lastNanos.set(System.nanoTime());
				if (received.incrementAndGet() == CatCommand.this.count) {
					counted.complete(null);
				}
			}

			@Override
			public void onClose(ImsgChannel channel, @Nullable Throwable cause) {
				if (cause != null) {
					System.err.println("imsg4j cat: " + cause.getMessage());
				}
				opened.complete(channel);
				finished.complete(null);
			}
		};
		ImsgServer server = null;
		ImsgChannel channel;
		try {
			if (this.listen) {
				AtomicBoolean taken = new AtomicBoolean();
				server = ImsgServer.listen(this.path, this.connection.channelOptions(), this.listener.listenOptions(),
						(peer) -> {
					if (!this.listener.allows(peer)) {
						this.listener.refused("cat", peer);
						return null;
					}
					if (!taken.compareAndSet(false, true)) {
						System.err.println("imsg4j cat: refusing a second peer (pid " + peer.pid() + ")");
						return null;
					}
					print(format.peer("", peer));
					return listener;
				});
				System.err.println("imsg4j cat: listening on " + this.path + " (" + this.listener.describe() + "; "
						+ ImsgSocketLayer.describe() + ")");
				channel = opened.get();
				server.close();
				server = null;
			}
			else {
				channel = ImsgChannel.connect(this.path, this.connection.channelOptions(), listener);
				print(format.peer("", channel.peerCredentials()));
			}
			Thread input = new Thread(() -> {
				pump(channel, finished);
				lastNanos.set(System.nanoTime());
				inputDone.complete(null);
			}, "imsg4j-cat-stdin");
			input.setDaemon(true);
			input.start();
			if (!awaitFinished(finished, inputDone, lastNanos)) {
				System.err.println("imsg4j cat: no message for " + format(this.timeout) + " after stdin ended (received "
						+ received.get() + ((this.count > 0) ? " of the " + this.count + " asked for with --count" : "")
						+ "); giving up (--timeout, 0 waits forever)");
				channel.abort();
				return 3;
			}
			channel.close();
			return 0;
		}
		catch (ImsgException ex) {
			System.err.println("imsg4j cat: " + ex.getMessage());
			return 1;
		}
		finally {
			if (server != null) {
				server.close();
			}
		}
	}

	/**
	 * Waits until cat is finished; once stdin is at its end, for no longer than {@code --timeout} without a message.
	 *
	 * @return {@code false} when that timeout ran out
	 */
	private boolean awaitFinished(CompletableFuture<Void> finished, CompletableFuture<Void> inputDone,
			AtomicLong lastNanos) throws InterruptedException, ExecutionException {
		CompletableFuture.anyOf(finished, inputDone).get(); // stdin is at its end, or cat is done
		if (finished.isDone() || this.timeout.isZero()) {
			finished.get();
			return true;
		}
		long limit = this.timeout.toNanos();
		while (true) {
			long left = limit - (System.nanoTime() - lastNanos.get());
			if (left <= 0) {
				return finished.isDone();
			}
			try {
				finished.get(left, TimeUnit.NANOSECONDS);
				return true;
			}
			catch (TimeoutException ex) {
				// a message may have come meanwhile: look at the clock again
			}
		}
	}

	private static String format(Duration d) {
		return (d.toMillis() % 1000 == 0) ? d.toSeconds() + " s" : d.toMillis() + " ms";
	}

	private void pump(ImsgChannel channel, CompletableFuture<Void> finished) {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
			String line;
			int n = 0;
			while ((line = in.readLine()) != null && !finished.isDone()) {
				n++;
				OutgoingLine msg;
				try {
					msg = OutgoingLine.parse(line);
				}
				catch (IllegalArgumentException ex) {
					System.err.println("imsg4j cat: line " + n + ": " + ex.getMessage());
					continue;
				}
				if (msg == null) {
					continue;
				}
				try {
					OutboundFd fd = (msg.fdFile() != null) ? OutboundFd.openReadOnly(msg.fdFile()) : null;
					channel.compose(msg.type(), msg.peerid(), msg.pid(), fd, ByteBuffer.wrap(msg.payload()));
				}
				catch (RuntimeException ex) {
					System.err.println("imsg4j cat: line " + n + ": " + ex.getMessage());
				}
			}
		}
		catch (java.io.IOException ex) {
			System.err.println("imsg4j cat: stdin: " + ex.getMessage());
		}
	}

	private void print(String line) {
		synchronized (this.out) {
			this.out.println(line);
			this.out.flush();
		}
	}
}
