package io.github.imsg4j.demo;

import io.github.imsg4j.spring.ImsgEndpointRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Profile;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * In the worker: when the parent's socket closes (the parent stopped or died), the worker exits too, as
 * OpenBSD's privsep children do, instead of serving peers it can no longer open anything for, and holding the
 * socket path the next worker needs.
 */
@Component
@Profile("worker")
class ParentWatch {

	private static final Log LOG = LogFactory.getLog(ParentWatch.class);

	private final ImsgEndpointRegistry registry;

	private final ConfigurableApplicationContext context;

	ParentWatch(ImsgEndpointRegistry registry, ConfigurableApplicationContext context) {
		this.registry = registry;
		this.context = context;
	}

	@EventListener(ApplicationReadyEvent.class)
	void watch() {
		this.registry.client("parent").session().closeFuture().whenComplete((v, ex) -> {
			LOG.info("the privileged parent closed its socket; the worker exits");
			Thread exit = new Thread(() -> System.exit(SpringApplication.exit(this.context, () -> 0)), "worker-exit");
			exit.start();
		});
	}
}
