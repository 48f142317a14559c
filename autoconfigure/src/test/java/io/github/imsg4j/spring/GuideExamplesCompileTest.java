package io.github.imsg4j.spring;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import io.github.imsg4j.core.TestJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Java example of docs/guide.md and README.md that declares a type compiles as written, imports included,
 * against this module's class path: a reader can copy it into a project. The examples that are statements
 * (the guide's blocking client) and the testing example (a test of the test-support module) are run, character for
 * character, by GuideBlockingClientTest and GuideTestingExampleTest.
 */
class GuideExamplesCompileTest {

	private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	private static final Pattern BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);

	private static final Pattern PUBLIC_TYPE = Pattern.compile("^public (?:final )?(?:class|record|interface) (\\w+)",
			Pattern.MULTILINE);

	@TempDir
	Path dir;

	static List<String> examples(Path markdown) throws Exception {
		List<String> out = new ArrayList<>();
		Matcher m = BLOCK.matcher(Files.readString(markdown));
		while (m.find()) {
			String code = m.group(1);
			boolean declaresType = Pattern.compile("^(?:@\\w+.*\\n)*(?:public )?(?:final )?(?:class|record|interface) ",
					Pattern.MULTILINE).matcher(code).find();
			if (declaresType && !code.contains("@SpringBootTest")) {
				out.add(code);
			}
		}
		return out;
	}

	@Test
	void everyExampleCompilesAsWritten() throws Exception {
		List<String> examples = new ArrayList<>(examples(ROOT.resolve("docs/guide.md")));
		examples.addAll(examples(ROOT.resolve("README.md")));
		assertThat(examples).as("examples found").hasSizeGreaterThanOrEqualTo(6);
		JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
		String classPath = TestJvm.classPath().stream().map(Path::toString).collect(Collectors.joining(":"));
		for (int i = 0; i < examples.size(); i++) {
			String code = examples.get(i);
			// each in a package of its own, so that the examples' type names (Greeter...) do not meet
			Path pkg = Files.createDirectories(this.dir.resolve("src/example" + i));
			Matcher pub = PUBLIC_TYPE.matcher(code);
			String file = pub.find() ? pub.group(1) : "Example";
			Path source = Files.writeString(pkg.resolve(file + ".java"), "package example" + i + ";\n\n" + code);
			StringWriter errors = new StringWriter();
			boolean ok = javac.getTask(errors, null, null,
					List.of("-d", Files.createDirectories(this.dir.resolve("classes")).toString(), "-cp", classPath,
							"-proc:none", "-Xlint:none"),
					null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile())).call();
			assertThat(ok).as("example %d compiles as written:%n%s%n%s", i, code, errors).isTrue();
		}
	}
}
