package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.ImsgChannel;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The send path of W1: {@link ImsgChannel#compose} of a {@code size}-byte message into a real socket, whose
 * batches the channel's event loop writes while a raw reader drains the other end. One op is one message; with
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is what the whole process allocates per message sent.
 */
public class SendBenchmark extends ImsgBenchmark {

	private final AtomicLong received = new AtomicLong();

	private AFUNIXServerSocketChannel drain;

	private ImsgChannel channel;

	private ByteBuffer payload;

	@Setup(Level.Trial)
	public void open() throws Exception {
		Path path = RawPeer.socketPath("send");
		this.drain = RawPeer.drain(path, this.received);
		this.channel = ImsgChannel.connect(path, ChannelOptions.defaults()
			.withWireFormat(wireFormat())
			.withWriteQueueLimit(8L << 20));
		this.payload = ByteBuffer.allocate(this.size);
	}

	@Benchmark
	public void compose() {
		this.channel.compose(1, 0, 0, null, this.payload);
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		this.channel.close();
		this.drain.close();
	}
}
