package io.github.imsg4j.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedSelectorException;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One thread serving many sockets: readiness events, tasks handed in from other threads, and timers.
 * Everything that touches a registration runs here, so registrations need no locking. How it waits is its
 * {@link Poller}'s business: the socket layer's (epoll for the FFM transport, junixsocket's selector otherwise).
 */
public final class EventLoop implements Executor {

	private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

	private static final int MIN_READ_BUFFER = 256 * 1024;

	/** Something that wants readiness events from the loop. */
	public interface Handler {

		/**
		 * The socket is ready.
		 *
		 * @param readyOps for what: {@link Poller#READ}, {@link Poller#WRITE}, {@link Poller#ACCEPT} or'ed
		 */
		void onReady(int readyOps);

		/**
		 * The registration ended behind the owner's back: the peer hung up ({@code POLLHUP}/{@code POLLERR}) and
		 * the poller dropped the socket. The owner should read what is left and close.
		 */
		void onInvalid();
	}

	private record Timer(long deadline, long seq, Runnable task) implements Comparable<Timer> {

		@Override
		public int compareTo(Timer o) {
			int c = Long.compare(this.deadline, o.deadline);
			return (c != 0) ? c : Long.compare(this.seq, o.seq);
		}
	}

	private final Poller poller;

	private final Thread thread;

	private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

	/** Set while the loop is awake or a wake-up is already on its way: then {@link #execute} need not wake it. */
	private final AtomicBoolean wakeupPending = new AtomicBoolean(true);

	private final PriorityQueue<Timer> timers = new PriorityQueue<>();

	private long timerSeq;

	private volatile boolean running = true;

	/** Shared by every channel of this loop: decoding happens on this thread only. */
	private ByteBuffer readBuffer = ByteBuffer.allocateDirect(MIN_READ_BUFFER).order(ByteOrder.nativeOrder());

	/**
	 * Opens a selector and starts the loop's thread (a daemon).
	 *
	 * @param name the thread's name
	 */
	public EventLoop(String name) {
		// Load now what the error paths need: out of descriptors, the JVM cannot open a class file to load them,
		// and a NoClassDefFoundError in the loop's own error handling would end the loop thread.
		preload(SafeLog.class, Timer.class, io.github.imsg4j.core.Fds.class, io.github.imsg4j.core.ImsgIoException.class,
				io.github.imsg4j.core.ImsgProtocolException.class, io.github.imsg4j.core.ImsgClosedException.class,
				io.github.imsg4j.core.ImsgFdException.class, io.github.imsg4j.core.Imsg.class, OutgoingFd.class);
		try {
			this.poller = SocketLayer.get().openPoller();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot open a poller for " + name, ex);
		}
		this.thread = new Thread(this::run, name);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private static void preload(Class<?>... classes) {
		for (Class<?> c : classes) {
			try {
				Class.forName(c.getName(), true, c.getClassLoader());
			}
			catch (ClassNotFoundException ex) {
				throw new IllegalStateException(ex);
			}
		}
	}

	/**
	 * Whether the caller runs on this loop's thread.
	 *
	 * @return {@code true} on the loop thread
	 */
	public boolean inLoop() {
		return Thread.currentThread() == this.thread;
	}

	/**
	 * For assertions on loop-confined state: whether the caller may touch it, being the loop thread, or any thread
	 * once the loop stopped (when {@link #execute} runs tasks on their callers).
	 *
	 * @return {@code true} on the loop thread or after {@link #shutdown()}
	 */
	public boolean confinedHere() {
		return inLoop() || !this.running;
	}

	/**
	 * Runs a task on the loop thread, soon. After the loop stopped, runs it on the caller's thread so that
	 * clean-up tasks are never lost.
	 */
	@Override
	public void execute(Runnable task) {
		if (!this.running) {
			task.run();
			return;
		}
		this.tasks.add(task);
		if (!inLoop() && this.wakeupPending.compareAndSet(false, true)) {
			this.poller.wakeup();
		}
	}

	/**
	 * Runs a task on the loop thread after a delay. Call on the loop thread.
	 *
	 * @param delayNanos the delay
	 * @param task the task
	 */
	public void schedule(long delayNanos, Runnable task) {
		this.timers.add(new Timer(System.nanoTime() + delayNanos, this.timerSeq++, task));
	}

	/**
	 * Registers a socket with this loop's poller. Call on the loop thread.
	 *
	 * @param socket a {@link Transport} or {@link ListeningSocket} of the socket layer in use
	 * @param ops the initial interest, {@link Poller#READ}, {@link Poller#WRITE}, {@link Poller#ACCEPT} or'ed
	 * @param handler who handles its readiness
	 * @return the registration
	 * @throws IOException if the socket was closed meanwhile
	 */
	public Poller.Registration register(Object socket, int ops, Handler handler) throws IOException {
		return this.poller.register(socket, ops, handler);
	}

	/**
	 * The loop's read buffer, grown to hold at least {@code minCapacity} bytes. Call on the loop thread; valid
	 * until the next call.
	 *
	 * @param minCapacity the smallest capacity the caller needs
	 * @return a direct buffer in native order
	 */
	public ByteBuffer readBuffer(int minCapacity) {
		if (this.readBuffer.capacity() < minCapacity) {
			this.readBuffer = ByteBuffer.allocateDirect(minCapacity).order(ByteOrder.nativeOrder());
		}
		return this.readBuffer;
	}

	/** Stops the loop; channels still registered are left to their owners, who should close them first. */
	public void shutdown() {
		this.running = false;
		this.poller.wakeup();
	}

	private void run() {
		while (this.running) {
			try {
				long timeout = runTimers();
				// From here until select returns, a task handed in must wake the selector. Cleared before the task
				// check, so that a task added after the check finds it clear and wakes us; set again while the loop
				// is awake, so that tasks handed in meanwhile cost no wake-up write (they run at the end of the turn).
				this.wakeupPending.set(false);
				this.poller.poll(!this.tasks.isEmpty() ? 0 : (timeout < 0) ? -1 : Math.max(1, timeout));
				this.wakeupPending.set(true);
				runTasks();
			}
			catch (ClosedSelectorException ex) {
				break;
			}
			catch (Throwable ex) {
				try {
					SafeLog.log(LOG, System.Logger.Level.ERROR,
							() -> "event loop " + this.thread.getName() + " caught an error", ex);
				}
				catch (Throwable reportingFailed) {
					// never let the error handling end the loop
				}
			}
		}
		try {
			this.poller.close();
		}
		catch (IOException ex) {
			// the loop is gone either way
		}
		runTasks();
	}

	private void runTasks() {
		// A bounded batch: tasks added meanwhile wait for the next turn, so I/O is never starved.
		for (int n = this.tasks.size(); n > 0; n--) {
			Runnable task = this.tasks.poll();
			if (task == null) {
				return;
			}
			try {
				task.run();
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "task failed on " + this.thread.getName(), ex);
			}
		}
	}

	/** Runs due timers; returns milliseconds until the next one, or -1 if none. */
	private long runTimers() {
		long now = System.nanoTime();
		Timer next;
		while ((next = this.timers.peek()) != null && next.deadline() - now <= 0) {
			this.timers.poll();
			try {
				next.task().run();
			}
			catch (Throwable ex) {
				SafeLog.log(LOG, System.Logger.Level.ERROR, () -> "timer failed on " + this.thread.getName(), ex);
			}
		}
		return (next == null) ? -1 : Math.max(1, (next.deadline() - now) / 1_000_000);
	}
}
