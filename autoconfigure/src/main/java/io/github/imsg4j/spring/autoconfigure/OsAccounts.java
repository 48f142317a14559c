package io.github.imsg4j.spring.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * User and group names to numeric ids, as the OS resolves them. The JDK has no API for this, so it asks
 * {@code getent(1)} (which goes through NSS like {@code getpwnam(3)}), falling back to {@code /etc/passwd} and
 * {@code /etc/group} where getent is missing. Used once at start-up, never per connection.
 */
final class OsAccounts {

	private OsAccounts() {
	}

	/**
	 * @param user a user name, or a number
	 * @return its uid, or {@code null} if there is no such user
	 */
	static @Nullable Long uidOf(String user) {
		return lookup("passwd", "/etc/passwd", user);
	}

	/**
	 * @param group a group name, or a number
	 * @return its gid, or {@code null} if there is no such group
	 */
	static @Nullable Long gidOf(String group) {
		return lookup("group", "/etc/group", group);
	}

	private static @Nullable Long lookup(String database, String file, String name) {
		if (name.matches("[0-9]{1,10}")) {
			return Long.parseLong(name);
		}
		if (name.isEmpty() || name.contains(":") || name.contains("\n")) {
			return null;
		}
		String line = getent(database, name);
		if (line == null) {
			line = fromFile(Path.of(file), name);
		}
		if (line == null) {
			return null;
		}
		String[] fields = line.split(":", -1);
		return (fields.length > 2 && fields[0].equals(name)) ? Long.parseLong(fields[2].trim()) : null;
	}

	private static @Nullable String getent(String database, String name) {
		try {
			Process p = new ProcessBuilder("getent", database, name).redirectErrorStream(true).start();
			String out;
			try (InputStream in = p.getInputStream()) {
				out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
			}
			if (!p.waitFor(10, TimeUnit.SECONDS)) {
				p.destroyForcibly();
				return null;
			}
			return (p.exitValue() == 0 && !out.isEmpty()) ? out.lines().findFirst().orElse(null) : "";
		}
		catch (IOException ex) {
			return null; // no getent: read the files
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
	}

	private static @Nullable String fromFile(Path file, String name) {
		try {
			List<String> lines = Files.readAllLines(file);
			return lines.stream().filter((l) -> l.startsWith(name + ":")).findFirst().orElse(null);
		}
		catch (IOException ex) {
			return null;
		}
	}
}
