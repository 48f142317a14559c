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
	 * {@link #command} with the class path copied into {@code readable} (made world-readable), for a JVM that
	 * runs as another user who cannot read this one's class path (under root's home, say).
	 *
	 * @param readable an empty directory of the test's
	 * @param main the class to run
	 * @param args its arguments
	 * @return the command line
	 * @throws IOException when copying fails
	 */
	public static List<String> readableCommand(Path readable, Class<?> main, String... args) throws IOException {
		java.nio.file.Files.setPosixFilePermissions(readable, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
		List<String> copied = new ArrayList<>();
		int i = 0;
		for (Path entry : classPath()) {
			Path to = readable.resolve("cp" + (i++) + (java.nio.file.Files.isDirectory(entry) ? "" : ".jar"));
			copy(entry, to);
			copied.add(to.toString());
		}
		List<String> cmd = command(main, args);
		cmd.set(cmd.indexOf("-cp") + 1, String.join(":", copied));
		return cmd;
	}

	private static void copy(Path from, Path to) throws IOException {
		if (!java.nio.file.Files.isDirectory(from)) {
			java.nio.file.Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			return;
		}
		try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(from)) {
			for (Path p : (Iterable<Path>) all::iterator) {
				Path target = to.resolve(from.relativize(p).toString());
				if (java.nio.file.Files.isDirectory(p)) {
					java.nio.file.Files.createDirectories(target);
				}
				else {
					java.nio.file.Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
				}
			}
		}
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
		// a run with the transport forced forces it in the processes it starts too
		String transport = System.getProperty(io.github.imsg4j.core.internal.SocketLayer.PROPERTY);
		if (transport != null) {
			cmd.add("-D" + io.github.imsg4j.core.internal.SocketLayer.PROPERTY + "=" + transport);
		}
		cmd.addAll(List.of("-cp", classPath().stream().map(Path::toString).collect(Collectors.joining(":")),
				main.getName()));
		cmd.addAll(List.of(args));
		return cmd;
	}
}
