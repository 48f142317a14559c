package io.github.imsg4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.ImsgSocketLayer;
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
		// one element per paragraph: picocli wraps each to the terminal's width
		description = { "Forward imsg messages between clients of --listen and the daemon at --connect, logging each.",
				"Lines: #N > ... (client to daemon), #N < ... (daemon to client), as `imsg4j cat` prints them; "
						+ "#N peer ... when a client connects, #N closed when both sides are closed.",
				"It connects to the daemon as itself: by default only clients of its own uid are let in "
						+ "(--allow-uid/--allow-gid to widen that), since every client is served with this process's "
						+ "identity." })
final class ProxyCommand implements Callable<Integer> {

	@Mixin
	ConnectionOptions connection;

	@Mixin
	ListenerOptions listener;

	@Option(names = "--listen", required = true, paramLabel = "NEW_PATH", description = "where clients connect")
	Path listenPath;

	@Option(names = "--connect", required = true, paramLabel = "REAL_PATH", description = "the real daemon's socket")
	Path connectPath;

	@Option(names = "--connect-wire", description = "the daemon's wire generation, if not --wire's")
	@Nullable WireFormat connectWire;

	@Option(names = "--json", description = "log one JSON object per line")
	boolean json;

	@Option(names = "--decode", paramLabel = "FIELDS", description = "also log each payload read as a C struct of "
			+ "these fields, comma-separated, host byte order: u8 u16 u32 u64 i8 i16 i32 i64 cstr (e.g. u64,u64,u64)")
	String decode;

	private final PrintStream out = System.out;

	private final AtomicInteger ids = new AtomicInteger();

	@Override
	public Integer call() throws Exception {
		MessageFormat format = new MessageFormat(this.json, (this.decode != null) ? PayloadDecoder.parse(this.decode) : null);
		Termination termination = new Termination();
		try (ImsgServer server = ImsgServer.listen(this.listenPath, this.connection.channelOptions(),
				this.listener.listenOptions(), (peer) -> {
					if (!this.listener.allows(peer)) {
						this.listener.refused("proxy", peer);
						return null;
					}
					return new ClientSide(this.ids.incrementAndGet(), peer, format);
				})) {
			System.err.println("imsg4j proxy: listening on " + this.listenPath + " (" + this.listener.describe()
					+ "), forwarding to " + this.connectPath + " as uid " + ListenerOptions.ownUid() + " pid "
					+ ProcessHandle.current().pid() + ": the daemon sees every client as this process ("
					+ ImsgSocketLayer.describe() + ")");
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

	/**
	 * The client's side of one proxied connection; opens the daemon's side when the client arrives, and closes
	 * each side once the other closed and everything it sent has been forwarded.
	 */
	private final class ClientSide implements ImsgListener {

		private final String id;

		private final MessageFormat format;

		private volatile @Nullable Forwarder up;

		private volatile @Nullable Forwarder down;

		private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger(2);

		ClientSide(int id, PeerCredentials peer, MessageFormat format) {
			this.id = "#" + id;
			this.format = format;
			print(format.peer(this.id + " ", peer));
		}

		@Override
		public void onOpen(ImsgChannel client) {
			WireFormat w = (ProxyCommand.this.connectWire != null) ? ProxyCommand.this.connectWire
					: ProxyCommand.this.connection.wire;
			java.util.concurrent.CompletableFuture<Forwarder> downstream = new java.util.concurrent.CompletableFuture<>();
			try {
				ImsgChannel daemon = ImsgChannel.connect(ProxyCommand.this.connectPath,
						ProxyCommand.this.connection.channelOptions(w), new ImsgListener() {
							@Override
							public void onMessage(ImsgChannel d, Imsg message) {
								downstream.join().accept(message);
							}

							@Override
							public void onClose(ImsgChannel d, @Nullable Throwable cause) {
								sideClosed(downstream.join());
							}
						});
				this.up = new Forwarder(client, daemon, this.id + " > ", this.format, ProxyCommand.this::print);
				Forwarder d = new Forwarder(daemon, client, this.id + " < ", this.format, ProxyCommand.this::print);
				this.down = d;
				downstream.complete(d);
			}
			catch (ImsgException ex) {
				System.err.println("imsg4j proxy: " + this.id + " " + ex.getMessage());
				client.abort();
			}
		}

		@Override
		public void onMessage(ImsgChannel client, Imsg message) {
			Forwarder f = this.up;
			if (f == null) {
				message.close();
				return;
			}
			f.accept(message);
		}

		@Override
		public void onClose(ImsgChannel client, @Nullable Throwable cause) {
			Forwarder f = this.up;
			if (f == null) {
				print(this.id + " closed");
				return;
			}
			sideClosed(f);
		}

		/** One side closed: finish forwarding what it sent, close the other side; log when both are done. */
		private void sideClosed(Forwarder forwarder) {
			forwarder.finish(() -> {
				if (this.open.decrementAndGet() == 0) {
					print(this.id + " closed");
				}
			});
		}
	}
}
