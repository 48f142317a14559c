package io.github.imsg4j.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cli/imsg4j launcher passes the build's AOT cache (src/build/train-aot.sh) to java only when the java on
 * PATH is the one that wrote it: a cache from another JDK build is at best useless. Run against a copy of the
 * launcher beside a fake jar, with a fake {@code java} on PATH that prints its arguments.
 */
class LauncherAotTest {

	@TempDir
	Path dir;

	@Test
	void theCacheIsUsedOnlyWithTheJavaThatWroteIt() throws Exception {
		Path cli = Files.createDirectories(this.dir.resolve("cli"));
		Path target = Files.createDirectories(cli.resolve("target"));
		Path launcher = cli.resolve("imsg4j");
		Files.copy(ReadmeCommandsTest.ROOT.resolve("cli/imsg4j"), launcher);
		executable(launcher);
		Files.writeString(target.resolve("imsg4j-cli.jar"), "not a jar");
		Path bin = Files.createDirectories(this.dir.resolve("bin"));
		Path java = bin.resolve("java");
		Files.writeString(java, "#!/bin/sh\necho \"java $*\"\n");
		executable(java);

		assertThat(run(launcher, bin)).as("no cache").isEqualTo("java -jar " + target.resolve("imsg4j-cli.jar") + " --version");

		Files.writeString(target.resolve("imsg4j-cli.aot"), "cache");
		Files.writeString(target.resolve("imsg4j-cli.aot.java"), "/usr/lib/jvm/some-other-jdk/bin/java\n");
		assertThat(run(launcher, bin)).as("a cache of another java").doesNotContain("AOTCache");

		Files.writeString(target.resolve("imsg4j-cli.aot.java"), java.toRealPath() + "\n");
		assertThat(run(launcher, bin)).as("the cache of this java")
			.isEqualTo("java -XX:AOTCache=" + target.resolve("imsg4j-cli.aot") + " -jar " + target.resolve("imsg4j-cli.jar")
					+ " --version");
	}

	private static String run(Path launcher, Path bin) throws Exception {
		ProcessBuilder pb = new ProcessBuilder(List.of("bash", launcher.toString(), "--version")).redirectErrorStream(true);
		pb.environment().put("PATH", bin + ":" + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
		pb.environment().remove("IMSG4J_JAVA_OPTS");
		Process p = pb.start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
		return out;
	}

	private static void executable(Path file) throws Exception {
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
	}
}
