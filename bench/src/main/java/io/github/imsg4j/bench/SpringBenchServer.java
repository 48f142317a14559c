package io.github.imsg4j.bench;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;


import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * {@code server PATH} of the bench protocol, served by a Spring Boot application through the starter:
 * {@code java -cp ... io.github.imsg4j.bench.SpringBenchServer [--wire classic|current] [--inline] PATH}, where
 * {@code --inline} sets {@code imsg.handlers.inline=true}. Prints
 * {@code listening path=PATH} once it accepts; on SIGTERM/SIGINT it closes the context (which removes the socket)
 * and exits 0.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SpringBenchServer {

	@Bean
	BenchProtocolHandlers benchProtocolHandlers() {
		return new BenchProtocolHandlers();
	}

	public static void main(String[] args) throws InterruptedException {
		String wire = "current";
		boolean inline = false;
		String path = null;
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--wire") && i + 1 < args.length) {
				wire = args[++i];
			}
			else if (args[i].equals("--inline")) {
				inline = true;
			}
			else {
				path = args[i];
			}
		}
		if (path == null) {
			System.err.println("usage: SpringBenchServer [--wire classic|current] [--inline] PATH");
			System.exit(2);
		}
		// As the bench protocol asks: SIGTERM/SIGINT remove the socket (closing the context does) and exit 0.
		CountDownLatch signalled = new CountDownLatch(1);
		io.github.imsg4j.core.StopSignals.onStop(signalled::countDown);
		ConfigurableApplicationContext context = start(Path.of(path), wire, inline);
		System.out.println("listening path=" + path);
		System.out.flush();
		signalled.await();
		context.close();
		System.exit(0);
	}

	/**
	 * The context serving the bench protocol at {@code path}; closing it removes the socket.
	 *
	 * @param inline whether handlers run on the event loop ({@code imsg.handlers.inline})
	 */
	static ConfigurableApplicationContext start(Path path, String wire, boolean inline) {
		return new SpringApplicationBuilder(SpringBenchServer.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.registerShutdownHook(false)
			.properties("spring.main.banner-mode=off", "imsg.endpoints.bench.path=" + path,
					"imsg.endpoints.bench.wire=" + wire, "imsg.endpoints.bench.fd-passing=true",
					"imsg.endpoints.bench.write-queue-limit=8MB", "imsg.endpoints.bench.max-connections=20000",
					"imsg.handlers.inline=" + inline)
			.run(IGNORE_WORKING_DIRECTORY_CONFIG);
	}

	/**
	 * Spring Boot reads {@code ./application.yml}, and the repository root holds the demo's: the benchmarks must not
	 * start its endpoints too.
	 */
	static final String IGNORE_WORKING_DIRECTORY_CONFIG = "--spring.config.location=optional:classpath:/imsg4j-bench-none/";
}
