package io.github.imsg4j.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The demo daemon. Its configuration is {@code application.yml} in the working directory (the repository root
 * when run with the README's first command).
 */
@SpringBootApplication
@EnableConfigurationProperties(OpenerProperties.class)
public class DemoApplication {

	/**
	 * @param args Spring Boot arguments, e.g. {@code --imsg.endpoints.opener.path=/tmp/o.sock}
	 */
	public static void main(String[] args) {
		stopCleanlyOnSignals();
		SpringApplication.run(DemoApplication.class, args);
	}

	/**
	 * SIGTERM (a service manager, {@code kill}) and SIGINT (Ctrl-C) stop the daemon in order and exit 0: the
	 * shutdown hooks close the application (the parent stops and reaps its worker, the socket file is removed).
	 * The JVM's own handlers would do the same but exit 143 or 130, which {@code mvn spring-boot:run} reports as a
	 * failed build.
	 */
	private static void stopCleanlyOnSignals() {
		io.github.imsg4j.core.StopSignals.onStop(() -> System.exit(0));
	}
}
