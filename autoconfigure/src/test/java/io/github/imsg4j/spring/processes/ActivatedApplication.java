package io.github.imsg4j.spring.processes;

import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A socket-activated daemon on the starter: {@code imsg.endpoints.control.activated=true}; type 1 echoed as 2. */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration(ImsgAutoConfiguration.class)
public class ActivatedApplication {

	/** The daemon's handler. */
	static class Echo {

		@ImsgHandler(type = 1, replyType = 2)
		String echo(String text) {
			return "activated " + text;
		}
	}

	@Bean
	Echo echo() {
		return new Echo();
	}

	/**
	 * @param args Spring Boot arguments
	 */
	public static void main(String[] args) {
		SpringApplication app = new SpringApplication(ActivatedApplication.class);
		app.setWebApplicationType(org.springframework.boot.WebApplicationType.NONE);
		app.run("--imsg.endpoints.control.activated=true", "--imsg.endpoints.control.activated-name=control",
				"--spring.main.banner-mode=off");
	}
}
