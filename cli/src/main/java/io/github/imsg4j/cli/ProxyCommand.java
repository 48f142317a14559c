package io.github.imsg4j.cli;

import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.WireFormat;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A logging man-in-the-middle: every client of {@code --listen} gets its own connection to {@code --connect};
 * every message is forwarded both ways, descriptors included (their ownership passed on, never duplicated), and
 * printed as {@code cat} prints it, prefixed with the connection and the direction. It can also translate
 * between wire generations ({@code --connect-wire}).
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
		description = { "Forward imsg messages between clients of --listen and the daemon at --connect, logging each.",
				"Lines: #N > ... (client to daemon), #N < ... (daemon to client), as `imsg4j cat` prints them;",
				"#N peer ... when a client connects, #N closed when both sides are closed." })
final class ProxyCommand implements Callable<Integer> {

	@Mixin
	ConnectionOptions connection;

	@Option(names = "--listen", required = true, paramLabel = "NEW_PATH", description = "where clients connect")
	Path listenPath;

	@Option(names = "--connect", required = true, paramLabel = "REAL_PATH", description = "the real daemon's socket")
	Path connectPath;

	@Option(names = "--connect-wire", description = "the daemon's wire generation, if not --wire's")
	@Nullable WireFormat connectWire;

	@Option(names = "--json", description = "log one JSON object per line")
	boolean json;

	private final PrintStream out = System.out;

	private final AtomicInteger ids = new AtomicInteger();

	@Override
	public Integer call() throws Exception {
		MessageFormat format = new MessageFormat(this.json);
		Termination termination = new Termination();
		try (ImsgServer server = ImsgServer.listen(this.listenPath, this.connection.channelOptions(),
				(peer) -> new ClientSide(this.ids.incrementAndGet(), peer, format))) {
			System.err.println("imsg4j proxy: listening on " + this.listenPath + ", forwarding to " + this.connectPath);
			termination.await();
		}
		catch (ImsgException ex) {
			System.err.println("imsg4j proxy: " + ex.getMessage());
			return 1;
		}
		return 0;
	}

	private void print(String line) {
		synchronized (this.out) {
			this.out.println(line);
			this.out.flush();
		}
	}

	/** Forwards one message, passing its descriptor on; logs it first. */
	private void forward(String prefix, MessageFormat format, Imsg m, @Nullable ImsgChannel to) {
		try (m) {
			FileDescriptor fd = m.hasFd() ? m.takeFd() : null;
			print(format.message(prefix, m, (fd != null) ? MessageFormat.describe(fd) : null));
			if (to == null) {
				if (fd != null) {
					io.github.imsg4j.core.Fds.closeQuietly(fd);
				}
				return;
			}
			// The proxy never waits on an event loop: a side that cannot keep up is dropped, not buffered forever.
			if (!to.tryCompose(m.type(), m.peerId(), m.pid(), (fd != null) ? OutboundFd.transfer(fd) : null,
					m.payload())) {
				if (fd != null) {
					io.github.imsg4j.core.Fds.closeQuietly(fd);
				}
				System.err.println("imsg4j proxy: " + prefix + "write queue full; closing the connection pair");
				to.abort();
			}
		}
		catch (ImsgException ex) {
			System.err.println("imsg4j proxy: " + prefix + ex.getMessage());
		}
	}

	/** The client's side of one proxied connection; opens the daemon's side when the client arrives. */
	private final class ClientSide implements ImsgListener {

		private final String in;

		private final String outPrefix;

		private final MessageFormat format;

		private volatile @Nullable ImsgChannel upstream;

		private final String id;

		private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

		ClientSide(int id, PeerCredentials peer, MessageFormat format) {
			this.id = "#" + id;
			this.in = "#" + id + " > ";
			this.outPrefix = "#" + id + " < ";
			this.format = format;
			print(format.peer("#" + id + " ", peer));
		}

		@Override
		public void onOpen(ImsgChannel client) {
			WireFormat w = (ProxyCommand.this.connectWire != null) ? ProxyCommand.this.connectWire
					: ProxyCommand.this.connection.wire;
			try {
				this.upstream = ImsgChannel.connect(ProxyCommand.this.connectPath,
						ProxyCommand.this.connection.channelOptions(w), new ImsgListener() {
							@Override
							public void onMessage(ImsgChannel daemon, Imsg message) {
								forward(ClientSide.this.outPrefix, ClientSide.this.format, message, client);
							}

							@Override
							public void onClose(ImsgChannel daemon, @Nullable Throwable cause) {
								finish(client);
							}
						});
			}
			catch (ImsgException ex) {
				System.err.println("imsg4j proxy: " + this.in + ex.getMessage());
				client.abort();
			}
		}

		@Override
		public void onMessage(ImsgChannel client, Imsg message) {
			forward(this.in, this.format, message, this.upstream);
		}

		@Override
		public void onClose(ImsgChannel client, @Nullable Throwable cause) {
			finish(client);
		}

		/**
		 * Closes both sides off the event loop (an orderly close waits for its queue to drain and its socket to
		 * close), then logs {@code #N closed}.
		 */
		private void finish(ImsgChannel client) {
			if (!this.finished.compareAndSet(false, true)) {
				return;
			}
			java.util.concurrent.CompletableFuture.runAsync(() -> {
				client.close();
				ImsgChannel up = this.upstream;
				if (up != null) {
					up.close();
				}
				print(this.id + " closed");
			});
		}
	}
}
