package io.github.imsg4j.core;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

/**
 * The command line of a second JVM running a main class of the tests, on this test JVM's class path (through
 * surefire's manifest-only jar when it uses one). Shared with the other modules' tests.
 */
public final class TestJvm {

	private TestJvm() {
	}

	/**
	 * @return the class path entries of this JVM
	 * @throws IOException when surefire's jar cannot be read
	 */
	public static List<Path> classPath() throws IOException {
		List<Path> out = new ArrayList<>();
		for (String e : System.getProperty("java.class.path").split(":")) {
			Path p = Path.of(e);
			if (p.getFileName().toString().startsWith("surefirebooter")) {
				try (JarFile jar = new JarFile(p.toFile())) {
					for (String u : jar.getManifest().getMainAttributes().getValue("Class-Path").split(" ")) {
						if (!u.isEmpty()) {
							out.add(Path.of(URI.create(u)));
						}
					}
				}
			}
			else {
				out.add(p);
			}
		}
		return out;
	}

	/**
	 * @param main the class to run
	 * @param args its arguments
	 * @return {@code java -cp CLASSPATH main args…}, with native access allowed on JDKs that ask for it
	 * @throws IOException when the class path cannot be read
	 */
	public static List<String> command(Class<?> main, String... args) throws IOException {
		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
		if (Runtime.version().feature() >= 22) {
			cmd.add("--enable-native-access=ALL-UNNAMED");
		}
		cmd.addAll(List.of("-cp", classPath().stream().map(Path::toString).collect(Collectors.joining(":")),
				main.getName()));
		cmd.addAll(List.of(args));
		return cmd;
	}
}
