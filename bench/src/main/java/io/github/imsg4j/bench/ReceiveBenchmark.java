package io.github.imsg4j.bench;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;

/**
 * The receive path of W1: an {@link ImsgServer} decoding {@code size}-byte messages and handing each to a listener
 * that reads its payload and closes it.
 */
public class ReceiveBenchmark extends RawWriterBenchmark {

	private final AtomicLong handled = new AtomicLong();

	private ImsgServer server;

	@Setup(Level.Trial)
	public void open() throws Exception {
		Path path = RawPeer.socketPath("receive");
		this.server = ImsgServer.listen(path, ChannelOptions.defaults().withWireFormat(wireFormat()),
				(peer) -> new Counter());
		connectWriter(path);
	}

	/** Counts messages and payload bytes; the payload is read so that the work cannot be skipped. */
	final class Counter implements ImsgListener {

		private long bytes;

		@Override
		public void onMessage(ImsgChannel ch, Imsg m) {
			try (m) {
				this.bytes += m.payload().remaining();
			}
			ReceiveBenchmark.this.handled.lazySet(ReceiveBenchmark.this.handled.get() + 1);
		}
	}

	@Override
	long handled() {
		return this.handled.get();
	}

	@Override
	void closeReceiver() {
		this.server.close();
	}
}
