package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A receiving side under test, fed by a raw writer: {@value #BATCH} pre-encoded frames per invocation, one op per
 * message. The raw writer allocates nothing, so {@code gc.alloc.rate.norm} is the receiver's cost per message.
 * At tear-down every message sent must have been handled.
 */
public abstract class RawWriterBenchmark extends ImsgBenchmark {

	static final int BATCH = 1024;

	private AFUNIXSocketChannel writer;

	private ByteBuffer frames;

	private long sent;

	/** Connects the raw writer to the receiver listening at {@code path}. */
	void connectWriter(Path path) throws Exception {
		this.writer = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
		this.frames = RawPeer.frames(wireFormat(), BATCH, this.size);
	}

	/** @return messages the receiver has handled so far */
	abstract long handled();

	/** Stops the receiver. */
	abstract void closeReceiver() throws Exception;

	@Benchmark
	@OperationsPerInvocation(BATCH)
	public void receive() throws Exception {
		RawPeer.writeAll(this.writer, this.frames);
		this.sent += BATCH;
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (handled() < this.sent && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		if (handled() != this.sent) {
			throw new IllegalStateException("sent " + this.sent + " messages, handled " + handled());
		}
		this.writer.close();
		closeReceiver();
	}
}
