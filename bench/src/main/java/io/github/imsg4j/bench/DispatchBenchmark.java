package io.github.imsg4j.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.spring.ImsgHandler;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
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
public class DispatchBenchmark extends RawWriterBenchmark {

	/** imsg.handlers.inline: handlers on the event loop, or (false) on the handler threads. */
	@Param({ "false", "true" })
	public boolean inline;

	private ConfigurableApplicationContext context;

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
		connectWriter(path);
	}

	@Override
	long handled() {
		return this.context.getBean(Counting.class).handled.get();
	}

	@Override
	void closeReceiver() {
		this.context.close();
	}
}
