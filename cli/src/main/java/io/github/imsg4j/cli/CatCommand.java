package io.github.imsg4j.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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

	@Parameters(paramLabel = "PATH", description = "the UNIX socket")
	Path path;

	private final PrintStream out = System.out;

	@Override
	public Integer call() throws Exception {
		MessageFormat format = new MessageFormat(this.json);
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
				inputDone.complete(null);
			}, "imsg4j-cat-stdin");
			input.setDaemon(true);
			input.start();
			finished.get();
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
