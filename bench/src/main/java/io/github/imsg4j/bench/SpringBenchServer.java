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
 * {@code java -cp ... io.github.imsg4j.bench.SpringBenchServer [--wire classic|current] PATH}. Prints
 * {@code listening path=PATH} once it accepts, and stops on SIGTERM/SIGINT (Spring's shutdown hook removes the
 * socket).
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
		String path = null;
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--wire") && i + 1 < args.length) {
				wire = args[++i];
			}
			else {
				path = args[i];
			}
		}
		if (path == null) {
			System.err.println("usage: SpringBenchServer [--wire classic|current] PATH");
			System.exit(2);
		}
		ConfigurableApplicationContext context = start(Path.of(path), wire);
		System.out.println("listening path=" + path);
		System.out.flush();
		CountDownLatch closed = new CountDownLatch(1);
		context.addApplicationListener((org.springframework.context.event.ContextClosedEvent e) -> closed.countDown());
		closed.await();
	}

	/** The context serving the bench protocol at {@code path}; closing it removes the socket. */
	static ConfigurableApplicationContext start(Path path, String wire) {
		return new SpringApplicationBuilder(SpringBenchServer.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "imsg.endpoints.bench.path=" + path,
					"imsg.endpoints.bench.wire=" + wire, "imsg.endpoints.bench.fd-passing=true",
					"imsg.endpoints.bench.write-queue-limit=8MB", "imsg.endpoints.bench.max-connections=20000")
			.run();
	}
}
