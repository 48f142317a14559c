package io.github.imsg4j.cli;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.ImsgException;
import io.github.imsg4j.core.OutboundFd;

/**
 * One direction of a proxied connection: messages read from one channel are logged and sent on the other, in
 * order, descriptors passed on. Sending may wait for room in the other side's queue, so it happens on this
 * direction's own thread, never on an event loop; when more than {@value #PAUSE_AT} messages wait, the
 * source stops being read until {@value #RESUME_AT} are left. A slow side slows the other down instead of
 * filling the heap, or being dropped.
 */
final class Forwarder {

	static final int PAUSE_AT = 1024;

	static final int RESUME_AT = 256;

	private final ImsgChannel from;

	private final ImsgChannel to;

	private final String prefix;

	private final MessageFormat format;

	private final Consumer<String> log;

	private final ExecutorService thread;

	private int waiting;

	private boolean paused;

	Forwarder(ImsgChannel from, ImsgChannel to, String prefix, MessageFormat format, Consumer<String> log) {
		this.from = from;
		this.to = to;
		this.prefix = prefix;
		this.format = format;
		this.log = log;
		this.thread = Executors.newSingleThreadExecutor((r) -> {
			Thread t = new Thread(r, "imsg4j-proxy " + prefix.strip());
			t.setDaemon(true);
			return t;
		});
	}

	/** On the source's event loop: queue the message for sending. */
	void accept(Imsg m) {
		synchronized (this) {
			if (++this.waiting > PAUSE_AT && !this.paused) {
				this.paused = true;
				this.from.pauseReading();
			}
		}
		try {
			this.thread.execute(() -> send(m));
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			m.close(); // shut down: the pair is closing
		}
	}

	private void send(Imsg m) {
		try (m) {
			OutboundFd fd = m.hasFd() ? OutboundFd.forwardFrom(m) : null;
			this.log.accept(this.format.message(this.prefix, m, (fd != null) ? MessageFormat.describe(fd.fd()) : null));
			try {
				// compose waits for room (bytes and descriptors) up to the send timeout; the descriptor is the
				// channel's once queued, and stays ours if that fails
				this.to.compose(m.type(), m.peerId(), m.pid(), fd, m.payload());
			}
			catch (ImsgException ex) {
				if (fd != null) {
					fd.close(); // not queued: still ours
				}
				System.err.println("imsg4j proxy: " + this.prefix + ex.getMessage());
				this.from.abort();
			}
		}
		finally {
			synchronized (this) {
				if (--this.waiting <= RESUME_AT && this.paused) {
					this.paused = false;
					this.from.resumeReading();
				}
			}
		}
	}

	/** Closes the receiving side after everything queued so far has been sent. */
	void finish(Runnable then) {
		try {
			this.thread.execute(() -> {
				this.to.close();
				then.run();
			});
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			then.run();
		}
		this.thread.shutdown();
	}
}
