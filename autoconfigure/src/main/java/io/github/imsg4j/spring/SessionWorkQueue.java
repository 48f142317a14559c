package io.github.imsg4j.spring;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.Imsg;
import io.github.imsg4j.core.ImsgBudget;
import io.github.imsg4j.core.ImsgChannel;
import io.github.imsg4j.core.WireFormat;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The handler tasks of one session, run one after another in arrival order on the handler executor. When more
 * than {@value #PAUSE_AT} wait, or more bytes than the connection's write-queue limit, it stops the channel
 * reading until the backlog falls to {@value #RESUME_AT} messages and half those bytes. Waiting messages are held
 * of the channel's {@link ImsgBudget} through {@link ImsgChannel#holdReceived}, so that they count as this
 * connection's when the budget looks for the connection holding the most; when that is another, it is closed and
 * this one goes on; when no connection can give bytes back at once, this one stops reading until its handlers
 * have caught up. Closed by the budget, it gives back at once what waits ({@link #discardQueued}). It also knows
 * when the session is idle (for graceful stops) and closes it once a half-closed peer's handlers are done. One
 * lock, {@link #tasks}'s monitor, guards its state.
 */
final class SessionWorkQueue {

	private static final Log LOG = LogFactory.getLog(SessionWorkQueue.class);

	static final int PAUSE_AT = 1024;

	static final int RESUME_AT = 256;

	private final ImsgSession session;

	private final ImsgChannel channel;

	private final Executor executor;

	/** Handlers run on the event loop ({@link ImsgHandlerExecutor#inline()}): no queue, only the counts. */
	private final boolean inline;

	private final IdleClock idle;

	private final ImsgBudget budget;

	private final long pauseBytes;

	/** Tasks waiting to run; guarded by itself. */
	private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(4);

	/** The message of each task of {@link #tasks}, in the same order, to close one that will never run. */
	private final ArrayDeque<Imsg> taskMessages = new ArrayDeque<>(4);

	/** Tasks of the read being delivered, made with the first ({@link #enqueue}); the event loop's only. */
	private @Nullable ArrayDeque<Runnable> pending;

	/** The message of each task of {@link #pending}, in the same order; made with it; the event loop's only. */
	private @Nullable ArrayDeque<Imsg> pendingMessages;

	/**
	 * Closed by the budget: what waits was given back, and nothing more is queued or run. Written under
	 * {@link #tasks}; volatile for the drain, which reads it per task without the lock.
	 */
	private volatile boolean discarded;

	/** Bytes of the messages of {@link #pending}; the event loop's only. */
	private long pendingBytes;

	/** The tasks the running drain took out of {@link #tasks} in one go; used by that drain only. */
	private final ArrayDeque<Runnable> batch = new ArrayDeque<>(4);

	/** The message of each task of {@link #batch}, in the same order; used by that drain only. */
	private final ArrayDeque<Imsg> batchMessages = new ArrayDeque<>(4);

	private boolean running;

	/** Threads in {@link #awaitIdle}: only then does {@link #done} need to notify. */
	private int idleWaiters;

	private boolean paused;

	/** The peer sent its end of stream: close once every handler is done ({@link #closeWhenDone}). */
	private boolean inputClosed;

	/** Handlers queued, running, or whose futures have not completed. */
	private int inFlight;

	/** Bytes of the messages queued or running, held of the channel's budget; guarded by {@link #tasks}. */
	private long queuedBytes;

	SessionWorkQueue(ImsgSession session, ImsgChannel channel, Executor executor, boolean inline, IdleClock idle) {
		this.session = session;
		this.channel = channel;
		this.executor = executor;
		this.inline = inline;
		this.idle = idle;
		this.budget = channel.options().effectiveBudget();
		this.pauseBytes = channel.options().writeQueueLimit();
	}

	/**
	 * On the event loop: keeps a message's task until {@link #submitPending()} hands over the whole read, so that
	 * the loop and the handler thread meet on the lock once per read, not once per message.
	 */
	void enqueue(Runnable task, Imsg message) {
		ArrayDeque<Runnable> read = this.pending;
		ArrayDeque<Imsg> messages = this.pendingMessages;
		if (read == null || messages == null) {
			read = new ArrayDeque<>(16);
			messages = new ArrayDeque<>(16);
			this.pending = read;
			this.pendingMessages = messages;
		}
		read.add(task);
		messages.add(message);
		this.pendingBytes += size(message);
	}

	/** What a queued message counts for, until its handler is {@link #done}. */
	private static long size(Imsg message) {
		return WireFormat.HEADER_SIZE + message.length();
	}

	/**
	 * On the event loop, after a read: queues the read's tasks behind earlier ones, starts a drain if none runs,
	 * and pauses reading when too many wait.
	 */
	void submitPending() {
		ArrayDeque<Runnable> read = this.pending;
		ArrayDeque<Imsg> messages = this.pendingMessages;
		if (read == null || messages == null || read.isEmpty()) {
			return;
		}
		boolean start;
		long bytes = this.pendingBytes;
		this.pendingBytes = 0;
		// Outside the lock: when the budget is full this closes a connection holding more, which takes that one's
		// lock. When none can give bytes back at once (they are held by connections closing, whose handlers are
		// still finishing), this read, already in memory, is handled unbooked and the connection stops reading
		// until its handlers catch up: over the budget by at most one read per connection, never by closing a
		// connection that holds less than others.
		boolean overBudget = !this.channel.holdReceived(bytes);
		synchronized (this.tasks) {
			if (this.discarded) {
				// closed by the budget while this read was delivered: its messages will not be handled either
				read.clear();
				closeAll(messages);
				if (!overBudget) {
					this.channel.releaseReceived(bytes);
				}
				return;
			}
			Runnable task;
			while ((task = read.poll()) != null) {
				this.tasks.add(task);
				this.taskMessages.add(messages.remove());
				this.inFlight++;
			}
			if (!overBudget) {
				this.queuedBytes += bytes;
			}
			start = !this.running;
			this.running = true;
			if ((overBudget || this.tasks.size() > PAUSE_AT || this.queuedBytes > this.pauseBytes) && !this.paused) {
				this.paused = true;
				this.channel.pauseReading();
			}
		}
		if (overBudget && LOG.isDebugEnabled()) {
			LOG.debug(this.session + ": messages waiting for handlers across connections are at the shared "
					+ this.budget + ", and no connection holding more could give it back at once; reading from this one "
					+ "pauses until its handlers have caught up");
		}
		if (start) {
			this.executor.execute(this::drain);
		}
	}

	/**
	 * Runs the session's tasks in order. It takes up to {@value #RESUME_AT} at a time under the lock and runs them
	 * without it, so that the event loop queueing the next messages and this thread running handlers meet on the
	 * lock once per batch, not once per message.
	 */
	private void drain() {
		while (true) {
			synchronized (this.tasks) {
				Runnable next;
				for (int i = 0; i < RESUME_AT && (next = this.tasks.poll()) != null; i++) {
					this.batchMessages.add(this.taskMessages.remove());
					this.batch.add(next);
				}
				if (this.batch.isEmpty()) {
					this.running = false;
					return;
				}
				resumeIfDrained();
			}
			Runnable task;
			while ((task = this.batch.poll()) != null) {
				Imsg message = this.batchMessages.remove();
				if (this.discarded) {
					// closed by the budget, which was given these bytes back already
					message.close();
					done(message);
					continue;
				}
				try {
					task.run();
				}
				catch (Throwable ex) {
					// An Error (out of memory, say) must not end the drain: this session would never run again.
					LOG.error("imsg handler task failed on " + this.session + "; the session goes on", ex);
				}
			}
		}
	}

	/** Reads again once the backlog is down to {@value #RESUME_AT} messages and half the byte limit. Holds the lock. */
	private void resumeIfDrained() {
		if (this.paused && this.tasks.size() <= RESUME_AT && this.queuedBytes <= this.pauseBytes / 2) {
			this.paused = false;
			// While we did not read, the peer was not idle: we were. Restart the idle clock.
			this.idle.touch();
			this.channel.resumeReading();
		}
	}

	/** An inline handler starts: counted as in flight until {@link #done}. */
	void started() {
		synchronized (this.tasks) {
			this.inFlight++;
		}
	}

	/** A handler (or its future) finished with {@code message}. */
	void done(Imsg message) {
		long bytes = this.inline ? 0 : size(message);
		long release;
		boolean close;
		synchronized (this.tasks) {
			release = Math.min(bytes, this.queuedBytes);
			this.queuedBytes -= release;
			resumeIfDrained();
			this.inFlight--;
			close = this.inputClosed && this.inFlight == 0;
			if (this.idleWaiters > 0) {
				this.tasks.notifyAll();
			}
		}
		if (release != 0) {
			this.channel.releaseReceived(release);
		}
		if (close) {
			this.channel.closeWhenFlushed();
		}
	}

	/**
	 * The budget closed this connection to make room for another's ({@link ImsgChannel#holdReceived}): every byte
	 * it holds is given back before this returns, on the evicting thread, so that the connection that asked finds
	 * the room. Messages still queued are closed here; those the drain already took are closed by it, unhandled;
	 * a handler already running finishes (its message is the one unbooked, for as long as it runs).
	 */
	void discardQueued() {
		long release;
		synchronized (this.tasks) {
			this.discarded = true;
			int dropped = this.tasks.size();
			this.tasks.clear();
			Imsg m;
			while ((m = this.taskMessages.poll()) != null) {
				m.close();
			}
			release = this.queuedBytes;
			this.queuedBytes = 0;
			this.inFlight -= dropped;
			if (this.idleWaiters > 0) {
				this.tasks.notifyAll();
			}
		}
		if (release != 0) {
			this.channel.releaseReceived(release);
		}
	}

	private static void closeAll(ArrayDeque<Imsg> messages) {
		Imsg m;
		while ((m = messages.poll()) != null) {
			m.close();
		}
	}

	/**
	 * On the event loop, when the peer has sent its end of stream: closes the connection once every handler of
	 * what it sent is done and their replies are written, without blocking any thread.
	 */
	void closeWhenDone() {
		boolean close;
		synchronized (this.tasks) {
			this.inputClosed = true;
			close = this.inFlight == 0;
		}
		if (close) {
			this.channel.closeWhenFlushed();
		}
	}

	/** Whether nothing is queued, running or pending for this session, and reading is not paused. */
	boolean idle() {
		synchronized (this.tasks) {
			return this.inFlight == 0 && !this.paused;
		}
	}

	/**
	 * Waits until no handler is queued, running or pending.
	 *
	 * @param deadlineNanos {@link System#nanoTime()} to give up at
	 * @return whether it became idle in time
	 */
	boolean awaitIdle(long deadlineNanos) {
		synchronized (this.tasks) {
			this.idleWaiters++;
			try {
				while (this.inFlight > 0) {
					long left = deadlineNanos - System.nanoTime();
					if (left <= 0) {
						return false;
					}
					try {
						TimeUnit.NANOSECONDS.timedWait(this.tasks, left);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return false;
					}
				}
				return true;
			}
			finally {
				this.idleWaiters--;
			}
		}
	}
}
