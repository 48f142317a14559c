package io.github.imsg4j.spring.test;

import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.spring.ImsgHandler;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The application the guide's Testing section tests: the quick start's greeter. */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@Import(GreeterApplication.Greeter.class)
public class GreeterApplication {

	/** Type 1 carries a name; the reply, type 2, a greeting. */
	static class Greeter {

		@ImsgHandler(type = 1, replyType = 2)
		String hello(String name, PeerCredentials peer) {
			return "hello " + name;
		}
	}
}
