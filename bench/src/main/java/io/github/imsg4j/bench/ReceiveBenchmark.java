package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgListener;
import io.github.imsg4j.core.ImsgServer;
import io.github.imsg4j.core.WireFormat;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The receive path of W1: an {@link ImsgServer} decoding {@code size}-byte messages and handing each to a listener
 * that reads its payload and closes it. A raw writer sends {@value #BATCH} pre-encoded frames per invocation; one
 * op is one message. With {@code -prof gc}, {@code gc.alloc.rate.norm} is what the process allocates per message
 * received (the raw writer allocates nothing).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ReceiveBenchmark {

	static final int BATCH = 1024;

	@Param({ "current", "classic" })
	public String wire;

	@Param({ "64" })
	public int size;

	private final AtomicLong handled = new AtomicLong();

	private ImsgServer server;

	private AFUNIXSocketChannel writer;

	private ByteBuffer frames;

	private long sent;

	@Setup(Level.Trial)
	public void open() throws Exception {
		Path path = RawPeer.socketPath("receive");
		WireFormat format = WireFormat.valueOf(this.wire.toUpperCase(java.util.Locale.ROOT));
		this.server = ImsgServer.listen(path, ChannelOptions.defaults().withWireFormat(format), (peer) -> new Counter());
		this.writer = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
		this.frames = RawPeer.frames(format, BATCH, this.size);
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

	@Benchmark
	@OperationsPerInvocation(BATCH)
	public void receive() throws Exception {
		RawPeer.writeAll(this.writer, this.frames);
		this.sent += BATCH;
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (this.handled.get() < this.sent && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		if (this.handled.get() != this.sent) {
			throw new IllegalStateException("sent " + this.sent + " messages, handled " + this.handled.get());
		}
		this.writer.close();
		this.server.close();
	}
}
