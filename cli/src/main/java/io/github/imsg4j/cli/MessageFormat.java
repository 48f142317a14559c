package io.github.imsg4j.cli;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.PeerCredentials;
import io.github.imsg4j.core.WireFormat;
import org.jspecify.annotations.Nullable;

/**
 * How {@code cat} and {@code proxy} print messages: one line each, either
 * {@code type=T len=L peerid=P pid=X fd=F payload=HEX "text"} ({@code len} is the header's, header included;
 * {@code fd} is what the received descriptor points to, or {@code -}) or, with {@code --json}, one JSON object.
 */
final class MessageFormat {

	private final boolean json;

	/** {@code --decode}: each payload read as a C struct too; {@code null} for none. */
	private final @Nullable PayloadDecoder decoder;

	MessageFormat(boolean json) {
		this(json, null);
	}

	MessageFormat(boolean json, @Nullable PayloadDecoder decoder) {
		this.json = json;
		this.decoder = decoder;
	}

	/** What a received descriptor points to, from {@code /proc/self/fd}. */
	static String describe(FileDescriptor fd) {
		return Fds.target(fd).map(Path::toString).orElse("fd");
	}

	String peer(String prefix, PeerCredentials p) {
		if (this.json) {
			return "{" + prefix(prefix) + "\"peer\":{\"pid\":" + p.pid() + ",\"uid\":" + p.uid() + ",\"gid\":" + p.gid()
					+ "}}";
		}
		return prefix + "peer pid=" + p.pid() + " uid=" + p.uid() + " gid=" + p.gid();
	}

	/**
	 * @param prefix for the proxy: which connection and direction; empty for cat
	 * @param m the message
	 * @param fd what its descriptor points to, or {@code null}
	 * @return the line
	 */
	String message(String prefix, Imsg m, @Nullable String fd) {
		ByteBuffer p = m.payload();
		byte[] bytes = new byte[p.remaining()];
		p.duplicate().get(bytes);
		String hex = HexFormat.of().formatHex(bytes);
		String text = printable(bytes);
		long len = WireFormat.HEADER_SIZE + (long) bytes.length;
		String decoded = (this.decoder != null) ? this.decoder.decode(p) : null;
		if (this.json) {
			return "{" + prefix(prefix) + "\"type\":" + Integer.toUnsignedString(m.type()) + ",\"len\":" + len
					+ ",\"peerid\":" + Integer.toUnsignedString(m.peerId()) + ",\"pid\":" + m.pid() + ",\"fd\":"
					+ ((fd == null) ? (m.fdLost() ? "\"lost\"" : "null") : quote(fd)) + ",\"payload_hex\":\"" + hex
					+ "\",\"payload_text\":" + quote(text) + ((decoded != null) ? ",\"decoded\":" + quote(decoded) : "")
					+ "}";
		}
		return prefix + "type=" + Integer.toUnsignedString(m.type()) + " len=" + len + " peerid="
				+ Integer.toUnsignedString(m.peerId()) + " pid=" + m.pid() + " fd="
				+ ((fd == null) ? (m.fdLost() ? "lost" : "-") : fd) + " payload=" + (hex.isEmpty() ? "-" : hex) + " \""
				+ text + "\"" + ((decoded != null) ? " decoded=" + decoded : "");
	}

	private static String prefix(String prefix) {
		return prefix.isEmpty() ? "" : "\"conn\":" + quote(prefix.strip()) + ",";
	}

	static String printable(byte[] bytes) {
		StringBuilder sb = new StringBuilder(bytes.length);
		for (byte b : bytes) {
			sb.append((b >= 0x20 && b < 0x7f) ? (char) b : '.');
		}
		return sb.toString();
	}

	static String quote(String s) {
		StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
		for (char c : s.toCharArray()) {
			switch (c) {
				case '"' -> sb.append("\\\"");
				case '\\' -> sb.append("\\\\");
				default -> {
					if (c < 0x20) {
						sb.append(String.format("\\u%04x", (int) c));
					}
					else {
						sb.append(c);
					}
				}
			}
		}
		return sb.append('"').toString();
	}
}
