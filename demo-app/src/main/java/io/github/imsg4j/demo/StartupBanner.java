package io.github.imsg4j.demo;

import java.nio.file.Path;

import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ServerEndpoint;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** In the worker: says where the daemon listens and how to talk to it, once it does. */
@Component
@org.springframework.context.annotation.Profile("worker")
class StartupBanner {

	private final ImsgEndpointRegistry registry;

	private final OpenPolicy policy;

	StartupBanner(ImsgEndpointRegistry registry, OpenerProperties properties) {
		this.registry = registry;
		this.policy = new OpenPolicy(properties.allowedDirectories());
	}

	/** A file the daemon would open, for the example command. */
	private static java.util.stream.Stream<String> firstFile(Path root) {
		try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(root)) {
			return files.filter(java.nio.file.Files::isRegularFile).sorted().map(Path::toString).findFirst().stream();
		}
		catch (java.io.IOException ex) {
			return java.util.stream.Stream.empty();
		}
	}

	@EventListener(ApplicationReadyEvent.class)
	void ready() {
		ServerEndpoint opener = this.registry.endpoint("opener");
		Path sock = opener.path().toAbsolutePath().normalize();
		String example = this.policy.roots().stream().flatMap(StartupBanner::firstFile).findFirst()
			.orElse("/some/allowed/file");
		System.out.println();
		System.out.println("imsg4j demo: worker pid " + ProcessHandle.current().pid() + " (parent pid "
				+ ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) + ") listening on " + sock);
		System.out.println("  may open files under: " + this.policy.roots());
		System.out.println("  talk to it (type 1 = OPEN, 4 = STAT, 6 = PING; see docs/guide.md):");
		System.out.println("    printf '1 z=" + example + "\\n4\\n' | cli/imsg4j cat --count 2 " + sock);
		System.out.println();
	}
}
