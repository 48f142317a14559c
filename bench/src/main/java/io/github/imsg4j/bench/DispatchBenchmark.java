package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgHandler;
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
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * {@link ReceiveBenchmark} through the starter: the same frames, received by a Spring Boot endpoint and routed to
 * an {@code @ImsgHandler} method that takes the payload as a {@link ByteBuffer}, on the handler threads or inline
 * on the event loop. The difference to {@link ReceiveBenchmark} is what routing, argument resolution and (not
 * inline) the hand-over to a handler thread cost per message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DispatchBenchmark {

	static final int BATCH = 1024;

	@Param({ "current" })
	public String wire;

	@Param({ "64" })
	public int size;

	/** imsg.handlers.inline: handlers on the event loop, or (false) on the handler threads. */
	@Param({ "false", "true" })
	public boolean inline;

	private ConfigurableApplicationContext context;

	private AFUNIXSocketChannel writer;

	private ByteBuffer frames;

	private long sent;

	/** The handler: counts messages and payload bytes. */
	public static class Counting {

		final AtomicLong handled = new AtomicLong();

		long bytes;

		@ImsgHandler(type = 1)
		void data(ByteBuffer payload) {
			this.bytes += payload.remaining();
			this.handled.lazySet(this.handled.get() + 1);
		}
	}

	/** The application: auto-configuration and the handler. */
	@SpringBootConfiguration
	@EnableAutoConfiguration
	public static class App {

		@Bean
		Counting counting() {
			return new Counting();
		}
	}

	@Setup(Level.Trial)
	public void open() throws Exception {
		Path path = RawPeer.socketPath("dispatch");
		this.context = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "imsg.endpoints.jmh.path=" + path,
					"imsg.endpoints.jmh.wire=" + this.wire, "imsg.handlers.inline=" + this.inline)
			.run(SpringBenchServer.IGNORE_WORKING_DIRECTORY_CONFIG);
		this.writer = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(path));
		this.frames = RawPeer.frames(WireFormat.valueOf(this.wire.toUpperCase(java.util.Locale.ROOT)), BATCH,
				this.size);
	}

	@Benchmark
	@OperationsPerInvocation(BATCH)
	public void dispatch() throws Exception {
		RawPeer.writeAll(this.writer, this.frames);
		this.sent += BATCH;
	}

	@TearDown(Level.Trial)
	public void close() throws Exception {
		AtomicLong handled = this.context.getBean(Counting.class).handled;
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (handled.get() < this.sent && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		if (handled.get() != this.sent) {
			throw new IllegalStateException("sent " + this.sent + " messages, handled " + handled.get());
		}
		this.writer.close();
		this.context.close();
	}
}
