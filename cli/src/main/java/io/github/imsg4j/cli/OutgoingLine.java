package io.github.imsg4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import org.jspecify.annotations.Nullable;

/**
 * One line of {@code imsg4j cat}'s input: {@code TYPE [peerid=N] [pid=N] [fd=FILE] [text=S | z=S | hex=HEX |
 * file=PATH]}. Numbers are decimal or {@code 0x} hex. {@code text=} and {@code z=} take the rest of the line
 * ({@code z=} adds the terminating NUL). Empty lines and lines starting with {@code #} are not messages.
 *
 * @param type message type
 * @param peerid peer id
 * @param pid pid for the header; 0 for this process's
 * @param fdFile a file whose descriptor (opened read-only) goes with the message, or {@code null}
 * @param payload the payload
 */
record OutgoingLine(int type, int peerid, int pid, @Nullable Path fdFile, byte[] payload) {

	/**
	 * @param line the input line
	 * @return the message, or {@code null} for a blank or comment line
	 * @throws IllegalArgumentException naming what is wrong with the line
	 */
	static @Nullable OutgoingLine parse(String line) {
		String rest = line.strip();
		if (rest.isEmpty() || rest.startsWith("#")) {
			return null;
		}
		String[] first = rest.split("\\s+", 2);
		int type = number("TYPE", first[0]);
		rest = (first.length > 1) ? first[1] : "";
		int peerid = 0;
		int pid = 0;
		Path fd = null;
		byte[] payload = new byte[0];
		while (!rest.isEmpty()) {
			int eq = rest.indexOf('=');
			if (eq < 1) {
				throw new IllegalArgumentException("expected key=value, got '" + rest + "'");
			}
			String key = rest.substring(0, eq);
			String valueAndMore = rest.substring(eq + 1);
			if (key.equals("text") || key.equals("z")) {
				String text = valueAndMore;
				payload = (key.equals("z") ? text + "\0" : text).getBytes(StandardCharsets.UTF_8);
				break;
			}
			String[] parts = valueAndMore.split("\\s+", 2);
			String value = parts[0];
			rest = (parts.length > 1) ? parts[1] : "";
			switch (key) {
				case "peerid" -> peerid = number("peerid", value);
				case "pid" -> pid = number("pid", value);
				case "fd" -> fd = Path.of(value);
				case "hex" -> payload = hex(value);
				case "file" -> payload = read(Path.of(value));
				default -> throw new IllegalArgumentException("unknown key '" + key
						+ "' (expected peerid=, pid=, fd=, text=, z=, hex=, file=)");
			}
		}
		return new OutgoingLine(type, peerid, pid, fd, payload);
	}

	private static int number(String what, String s) {
		try {
			long v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
			if (v < 0 || v > 0xFFFFFFFFL) {
				throw new NumberFormatException();
			}
			return (int) v;
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException(what + " '" + s + "' is not a number from 0 to 4294967295");
		}
	}

	private static byte[] hex(String s) {
		try {
			return HexFormat.of().parseHex(s);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("hex '" + s + "' is not an even number of hex digits");
		}
	}

	private static byte[] read(Path p) {
		try {
			return Files.readAllBytes(p);
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("cannot read " + p + ": " + ex.getMessage());
		}
	}
}
