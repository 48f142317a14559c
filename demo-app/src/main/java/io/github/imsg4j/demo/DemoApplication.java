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
		SpringApplication.run(DemoApplication.class, args);
	}
}
