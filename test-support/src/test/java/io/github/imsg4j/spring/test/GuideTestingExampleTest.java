package io.github.imsg4j.spring.test;

import java.time.Duration;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.spring.ImsgEndpointRegistry;
import io.github.imsg4j.spring.ImsgTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example of docs/guide.md's "Testing" section, as it stands there (GuideTestingDocTest keeps them equal):
 * the configured socket path is one the test could not use, the test sockets move it; a fake daemon stands in
 * for the client's.
 */
// guide:begin
@SpringBootTest(classes = GreeterApplication.class, properties = {
		"imsg.endpoints.control.path=/run/greeter/control.sock", // moved to a temporary directory
		"imsg.clients.parent.path=/run/parent.sock" })           // replaced below by the fake daemon's
@AutoConfigureImsgTestSockets
class GuideTestingExampleTest {

	static final FakeImsgDaemon parent = FakeImsgDaemon.start()
		.on(10, 11, (request) -> "pong " + request.text());

	@DynamicPropertySource
	static void parentDaemon(DynamicPropertyRegistry registry) {
		registry.add("imsg.clients.parent.path", () -> parent.path().toString());
	}

	@AfterAll
	static void stopParent() {
		parent.close();
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
		assertThat(parent.received()).extracting(FakeImsgDaemon.Received::text).containsExactly("ping");
	}
}
// guide:end
