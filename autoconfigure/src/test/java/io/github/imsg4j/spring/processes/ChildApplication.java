package io.github.imsg4j.spring.processes;

import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A sandboxed helper as a Spring application on the starter: its only connection is the socket its parent left
 * it ({@code imsg.clients.parent.inherited-fd=3}); type 1 is answered with type 2 naming this process.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration(ImsgAutoConfiguration.class)
public class ChildApplication {

	/** The helper's handler. */
	static class Helper {

		@ImsgHandler(endpoints = "parent", type = 1, replyType = 2)
		String hello(String text) {
			return "child " + ProcessHandle.current().pid() + " got " + text;
		}
	}

	@Bean
	Helper helper() {
		return new Helper();
	}

	/**
	 * @param args Spring Boot arguments
	 */
	public static void main(String[] args) {
		SpringApplication app = new SpringApplication(ChildApplication.class);
		app.setWebApplicationType(org.springframework.boot.WebApplicationType.NONE);
		app.run("--imsg.clients.parent.inherited-fd=3", "--spring.main.banner-mode=off");
	}
}
