package io.github.imsg4j.spring.test;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/guide.md's Testing example is the code GuideTestingExampleTest runs, to the character (tabs as four spaces). */
class GuideTestingDocTest {

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	@Test
	void theGuidesTestingExampleIsTheTestThatRuns() throws Exception {
		String guide = Files.readString(ROOT.resolve("docs/guide.md"));
		int section = guide.indexOf("## Testing");
		assertThat(section).isNotNegative();
		int start = guide.indexOf("```java\n", section) + "```java\n".length();
		String inGuide = guide.substring(start, guide.indexOf("```", start));
		String test = Files.readString(ROOT.resolve(
				"test-support/src/test/java/io/github/imsg4j/spring/test/GuideTestingExampleTest.java"));
		String region = test.substring(test.indexOf("// guide:begin\n") + "// guide:begin\n".length(),
				test.indexOf("// guide:end"));
		assertThat(inGuide).isEqualTo(region.replace("\t", "    "));
	}
}
