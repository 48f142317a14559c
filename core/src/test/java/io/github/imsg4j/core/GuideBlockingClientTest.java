package io.github.imsg4j.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/guide.md's blocking-client example ("The socket layer") is the code this test runs, to the character
 * (tabs as four spaces), against a real server.
 */
@ExtendWith(OpenFds.class)
class GuideBlockingClientTest {

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	@TempDir
	Path dir;

	@Test
	void theExampleRuns() throws Exception {
		Path socket = this.dir.resolve("control.sock");
		ImsgListener status = new ImsgListener() {
			@Override
			public void onMessage(ImsgChannel ch, Imsg m) {
				try (m) {
					ch.send(2, "up".getBytes(StandardCharsets.UTF_8));
				}
			}
		};
		try (ImsgServer server = ImsgServer.listen(socket, ChannelOptions.defaults(), peer -> status)) {
			// guide:begin
			ChannelOptions options = ChannelOptions.defaults().withCallerReads(true);
			try (ImsgChannel ch = ImsgChannel.connect(socket, options)) {
				ch.send(1, "status".getBytes(StandardCharsets.UTF_8)); // written at once on this thread
				try (Imsg reply = ch.receive(Duration.ofSeconds(5))) { // read on this thread, no hand-over
					System.out.println(new String(reply.bytes(), StandardCharsets.UTF_8));
				}
			}
			// guide:end
		}
	}

	@Test
	void theGuideShowsTheCodeThatRuns() throws Exception {
		String guide = Files.readString(ROOT.resolve("docs/guide.md"));
		int section = guide.indexOf("**A blocking client on the core API.**");
		assertThat(section).isNotNegative();
		int start = guide.indexOf("```java\n", section) + "```java\n".length();
		String inGuide = guide.substring(start, guide.indexOf("```", start));
		String test = Files.readString(
				ROOT.resolve("core/src/test/java/io/github/imsg4j/core/GuideBlockingClientTest.java"));
		String region = test.substring(test.indexOf("// guide:begin\n") + "// guide:begin\n".length(),
				test.indexOf("\t\t\t// guide:end"));
		// the guide's example starts with its imports: each is one this test needs (or its own package's)
		String imports = inGuide.substring(0, inGuide.indexOf("\n\n", inGuide.lastIndexOf("import ")) + 2);
		for (String line : imports.lines().filter((l) -> l.startsWith("import ")).toList()) {
			assertThat(test.contains(line) || line.startsWith("import io.github.imsg4j.core."))
				.as("%s is among the test's imports", line).isTrue();
		}
		assertThat(inGuide.substring(imports.length()))
			.isEqualTo(region.replace("\t\t\t", "").replace("\t", "    "));
	}
}
