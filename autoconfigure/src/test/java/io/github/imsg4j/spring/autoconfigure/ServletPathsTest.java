package io.github.imsg4j.spring.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;

import io.github.imsg4j.spring.ImsgEndpointRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In a servlet web application, Spring converts {@code Path} properties through the application's resource
 * loader, and embedded Tomcat's refuses {@code ..} above its root ("has been normalized to [null] which is not
 * valid"). imsg's socket paths are file-system paths, bound as such in every application type: a real
 * application on embedded Tomcat (port 0, loopback) with a relative path that climbs out.
 */
class ServletPathsTest {

	@TempDir
	Path dir;

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class WebApp {

	}

	@Test
	void aRelativePathWithDotDotBindsAsAFileSystemPathInAServletApplication() throws Exception {
		Path target = Files.createDirectories(this.dir.resolve("other/run"));
		String relative = Path.of("").toAbsolutePath().relativize(target.resolve("x.sock")).toString();
		assertThat(relative).startsWith("..");
		SpringApplication app = new SpringApplication(WebApp.class);
		app.setWebApplicationType(WebApplicationType.SERVLET);
		try (ConfigurableApplicationContext context = app.run("--server.port=0", "--server.address=127.0.0.1",
				"--imsg.endpoints.e.path=" + relative, "--spring.main.banner-mode=off")) {
			assertThat(context.getBean(ImsgEndpointRegistry.class).endpoint("e").path()).isEqualTo(Path.of(relative));
			assertThat(target.resolve("x.sock")).exists();
		}
	}
}
