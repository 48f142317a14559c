package io.github.imsg4j.core.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A child's standard output and error, passed on line by line to this process's own, and the last
 * {@value #KEPT} lines kept, so that a report of the child's death can say what it last said (a Spring worker's
 * start-up failure report, a C helper's {@code err(3)}). One reader thread per stream, ending at the child's
 * end of file; a line is cut at {@value #MAX_LINE} characters, so a child cannot grow what is kept. Thread-safe:
 * the readers append under this object's monitor.
 */
public final class ChildOutput {

	static final int KEPT = 20;

	static final int MAX_LINE = 1000;

	private final ArrayDeque<String> last = new ArrayDeque<>(KEPT);

	/** Counts down as each stream reaches its end. */
	private final CountDownLatch ended = new CountDownLatch(2);

	/**
	 * Starts a daemon thread that copies {@code from} to {@code to}, keeping its last lines.
	 *
	 * @param from the child's end of a pipe, owned (and closed at its end) by the thread
	 * @param to where its lines go on ({@code System.out} or {@code System.err})
	 * @param name the thread's name
	 */
	public void pass(InputStream from, PrintStream to, String name) {
		Thread t = new Thread(() -> copy(from, to), name);
		t.setDaemon(true);
		t.start();
	}

	private void copy(InputStream from, PrintStream to) {
		try (BufferedReader in = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
			String line;
			while ((line = in.readLine()) != null) {
				to.println(line);
				keep(line);
			}
		}
		catch (IOException ex) {
			// the pipe broke: the child is gone
		}
		finally {
			this.ended.countDown();
		}
	}

	/**
	 * Waits, at most {@code timeout}, until both streams reached their end: once the child has exited, so that
	 * what it wrote last is kept before it is asked for (a process it started may hold the pipes open longer).
	 */
	public void awaitEnd(Duration timeout) {
		try {
			this.ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private synchronized void keep(String line) {
		if (this.last.size() == KEPT) {
			this.last.removeFirst();
		}
		this.last.addLast((line.length() > MAX_LINE) ? line.substring(0, MAX_LINE) + "…" : line);
	}

	/**
	 * @return the last lines the child wrote to its standard output and error, oldest first
	 */
	public synchronized List<String> lastLines() {
		return List.copyOf(this.last);
	}
}
