package io.github.imsg4j.spring.test;

// guide:begin
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.OutboundFd;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgReply;
import io.github.imsg4j.spring.ImsgTemplate;
import io.github.imsg4j.spring.test.AutoConfigureImsgTestSockets;
import io.github.imsg4j.spring.test.FakeImsgDaemon;
import io.github.imsg4j.spring.test.ImsgTestClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(classes = GuideTestingExampleTest.Greeter.class, properties = {
		"imsg.endpoints.control.path=/run/greeter/control.sock", // moved to a temporary directory
		"imsg.clients.parent.path=/run/parent.sock",             // replaced below by the fake daemon's
		"imsg.clients.parent.fd-passing=true" })                 // the parent sends descriptors
@AutoConfigureImsgTestSockets
class GuideTestingExampleTest {

	/** The application under test: the quick start's greeter. */
	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(Greeter.Handlers.class)
	static class Greeter {

		static class Handlers {

			/** Type 1 carries a name; the reply, type 2, a greeting. */
			@ImsgHandler(type = 1, replyType = 2)
			String hello(String name) {
				return "hello " + name;
			}
		}
	}

	/** A file only the parent opens. */
	static final Path FILE = file("opened by the parent");

	static Path file(String text) {
		try {
			Path f = Files.createTempFile("guide-", ".txt");
			f.toFile().deleteOnExit();
			return Files.writeString(f, text);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** A privileged parent: type 20 opens a file (OK with its descriptor, or DENIED); type 10 answers a ping. */
	static final FakeImsgDaemon parent = FakeImsgDaemon.start()
		.on(10, 11, (request) -> "pong " + request.text())
		.on(20, (request) -> request.text().equals(FILE.toString())
				? ImsgReply.of(21, "OK").withFd(OutboundFd.openReadOnly(FILE))
				: ImsgReply.of(21, "DENIED"));

	@DynamicPropertySource
	static void parentDaemon(DynamicPropertyRegistry registry) {
		registry.add("imsg.clients.parent.path", () -> parent.path().toString());
	}

	/** Closed with the application, after its client has stopped: no "lost its connection" on the way out. */
	@TestConfiguration(proxyBeanMethods = false)
	static class Daemons {

		@Bean(destroyMethod = "close")
		FakeImsgDaemon parentDaemon() {
			return parent;
		}
	}

	@Autowired
	ImsgEndpointRegistry registry;

	@Autowired
	ImsgTemplate template;

	@Test
	void greetsItsClients() {
		try (ImsgTestClient client = ImsgTestClient.connect(this.registry, "control")) {
			assertThat(client.requestString(1, "imsg", 2)).isEqualTo("hello imsg");
		}
	}

	@Test
	void asksItsParent() {
		try (Imsg reply = this.template.sendAndReceive("parent", 10, "ping", 11, Duration.ofSeconds(5))) {
			assertThat(ImsgTestClient.cString(reply)).isEqualTo("pong ping");
		}
		assertThat(parent.received()).extracting(FakeImsgDaemon.Received::text).contains("ping");
	}

	@Test
	void getsAFileFromItsParentOrIsDenied() throws Exception {
		try (Imsg reply = this.template.sendAndReceive("parent", 20, FILE.toString(), 21, Duration.ofSeconds(5))) {
			assertThat(ImsgTestClient.cString(reply)).isEqualTo("OK");
			FileDescriptor fd = ImsgTestClient.takeFd(reply);
			try (FileInputStream in = new FileInputStream(fd)) {
				assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("opened by the parent");
			}
		}
		try (Imsg reply = this.template.sendAndReceive("parent", 20, "/etc/shadow", 21, Duration.ofSeconds(5))) {
			assertThat(ImsgTestClient.cString(reply)).isEqualTo("DENIED");
			assertThat(reply.hasFd()).isFalse();
		}
	}
}
// guide:end
