package io.github.imsg4j.quickstart;

import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.spring.ImsgHandler;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

// quick-start:java
/** The README's quick start: one starter dependency, the YAML above, and this. */
@SpringBootApplication
public class QuickStartApplication {

	public static void main(String[] args) {
		SpringApplication.run(QuickStartApplication.class, args);
	}

	@Component
	static class Greeter {

		/** Type 1 carries a NUL-terminated name; the reply, type 2, a NUL-terminated greeting. */
		@ImsgHandler(type = 1, replyType = 2)
		String hello(String name, PeerCredentials peer) {
			return "hello " + name + ", you are uid " + peer.uid();
		}
	}
}
// end:java
