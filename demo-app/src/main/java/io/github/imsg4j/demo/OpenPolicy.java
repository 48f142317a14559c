package io.github.imsg4j.demo;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.Fds;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Decides whether a path may be opened, and opens it read-only. The check runs twice: on the requested path
 * resolved with symbolic links followed, and again on what the opened descriptor actually names
 * ({@code /proc/self/fd}), so that a link swapped in between cannot lead out of the allowed directories.
 */
final class OpenPolicy {

	private static final Log LOG = LogFactory.getLog(OpenPolicy.class);

	private final List<Path> roots;

	/** Runs between the check and the open: tests swap the file here, as an attacker racing the check would. */
	java.util.function.Consumer<Path> afterCheck = (p) -> {
	};

	/** The allowed directories as configured (absolute, normalized), for the check of the requested path. */
	private final List<Path> configured;

	OpenPolicy(List<Path> allowed) {
		this.configured = allowed.stream().map((d) -> d.toAbsolutePath().normalize()).toList();
		List<Path> real = new ArrayList<>();
		for (Path dir : allowed) {
			try {
				real.add(dir.toRealPath());
			}
			catch (IOException ex) {
				LOG.warn("opener.allowed-directories: " + dir + " does not exist; skipped");
			}
		}
		this.roots = List.copyOf(real);
	}

	List<Path> roots() {
		return this.roots;
	}

	/** The one answer for anything outside the allowed directories, missing or not. */
	static final Denied OUTSIDE = new Denied("no such file in the allowed directories");

	/** An opened file, or why not. */
	sealed interface Outcome permits Opened, Denied {
	}

	/** @param fd the read-only descriptor, the caller's to own @param realPath what it names */
	record Opened(FileDescriptor fd, Path realPath) implements Outcome {
	}

	/** @param reason for the peer */
	record Denied(String reason) implements Outcome {
	}

	Outcome open(String requested) {
		Path path;
		try {
			path = Path.of(requested);
		}
		catch (InvalidPathException ex) {
			return new Denied("not a valid path");
		}
		if (!path.isAbsolute()) {
			return new Denied("not an absolute path");
		}
		// Decided on the requested path first, and with one answer for everything outside: a peer learns nothing
		// about files beyond the allowed directories, not even whether they exist (a dangling or escaping link
		// inside gets the same answer).
		if (!allowedLexically(path.normalize())) {
			return OUTSIDE;
		}
		Path real;
		try {
			real = path.toRealPath();
		}
		catch (IOException ex) {
			return OUTSIDE;
		}
		if (!allowed(real)) {
			return OUTSIDE;
		}
		if (!Files.isRegularFile(real)) {
			return new Denied("not a regular file");
		}
		this.afterCheck.accept(real);
		FileInputStream in;
		try {
			in = new FileInputStream(real.toFile());
		}
		catch (IOException ex) {
			return new Denied("cannot open: " + ex.getMessage());
		}
		FileDescriptor fd;
		try {
			fd = in.getFD();
		}
		catch (IOException ex) {
			close(in);
			return new Denied("cannot open");
		}
		Path opened = Fds.target(fd).orElse(null);
		if (opened == null || !allowed(opened)) {
			close(in);
			return OUTSIDE;
		}
		if (!isRegularFile(fd)) {
			close(in);
			return new Denied("not a regular file");
		}
		return new Opened(fd, opened);
	}

	private boolean allowed(Path real) {
		return this.roots.stream().anyMatch(real::startsWith);
	}

	/** The requested path names a place inside an allowed directory, as configured or as resolved. */
	private boolean allowedLexically(Path normalized) {
		return allowed(normalized) || this.configured.stream().anyMatch(normalized::startsWith);
	}

	/** What the opened descriptor itself is (through /proc, not by path again, which could have been swapped). */
	private static boolean isRegularFile(FileDescriptor fd) {
		return Fds.procPath(fd).map(Files::isRegularFile).orElse(false);
	}

	private static void close(FileInputStream in) {
		try {
			in.close();
		}
		catch (IOException ex) {
			// nothing to add
		}
	}
}
