package io.github.imsg4j.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.HeldFd;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * The receiving half of an {@link ImsgChannel}: reads the socket, decodes frames, delivers messages to the
 * listener or the {@link ChannelInbox}, and stops and resumes reading.
 *
 * <p>One scheme: confined to one reading thread at a time. Normally that is the channel's event loop, which
 * other threads reach through {@link EventLoop#execute}. With {@link ChannelOptions#callerReads()} it is whichever
 * thread holds {@link #turn} in {@link #receiveReading}, and the loop takes the turn too when it changes what
 * the reader holds; the socket is then closed only by a holder of the turn ({@link #closeSocketWhenIdle}), never
 * under a reading thread.
 */
final class ChannelReader {

	private static final System.Logger LOG = System.getLogger(ChannelReader.class.getName());

	/** Reads per connection per loop turn; a read takes at most 64 KiB more than the largest message. */
	private static final int READS_PER_TURN = 64;

	/** Room beyond the largest message in the loop's read buffer, so that one read can always bring something new. */
	private static final int READ_ROOM = 64 * 1024;

	/** Paused by {@link ImsgChannel#pauseReading()} or a full {@link ChannelInbox}. */
	static final int PAUSED_BY_OWNER = 1;

	/** Paused while the connection holds {@link ChannelOptions#maxReceivedFds()} received descriptors. */
	static final int PAUSED_FOR_FDS = 2;

	/** The peer sent its end of stream and the listener keeps the channel open to reply: never read again. */
	static final int INPUT_CLOSED = 4;

	private final ImsgChannel channel;

	private final Transport transport;

	private final EventLoop loop;

	private final ChannelOptions options;

	private final ImsgBudget budget;

	private final FrameDecoder decoder;

	private final @Nullable ImsgListener listener;

	/** Where messages go when there is no listener. */
	private final @Nullable ChannelInbox inbox;

	private final ReceivedFds fds;

	/** Log lines about this peer, counted against the connection's and the limiter's shares. */
	private final PeerLogLimiter.Connection warnings;

	/** Why reading is paused, a set of the {@code PAUSED_*} bits and {@link #INPUT_CLOSED}; reads only at 0. */
	private volatile int paused;

	/** {@link #deliver}, made once rather than per read. */
	private final Consumer<Imsg> sink = this::deliver;

	/** The listener got a message since its last {@link ImsgListener#onReadComplete}. */
	private boolean deliveredInRead;

	private Poller.@Nullable Registration key;

	/** With caller reads: the right to read; {@code null} when the loop reads. */
	private final @Nullable ReentrantLock turn;

	/** Signalled, under {@link #turn}, when reading is resumed. */
	private final @Nullable Condition resumed;

	/** With caller reads: the read buffer of this connection (the loop's is the loop thread's alone). */
	private @Nullable ByteBuffer ownBuffer;

	/** With caller reads: closing the socket, left for whoever holds the turn next. */
	private final AtomicReference<@Nullable Runnable> pendingClose = new AtomicReference<>();

	ChannelReader(ImsgChannel channel, Transport transport, EventLoop loop, ChannelOptions options,
			ImsgBudget budget, PeerLogLimiter.Connection warnings, @Nullable ImsgListener listener,
			@Nullable ChannelInbox inbox) {
		this.channel = channel;
		this.transport = transport;
		this.loop = loop;
		this.options = options;
		this.budget = budget;
		this.warnings = warnings;
		this.listener = listener;
		this.inbox = inbox;
		this.decoder = new FrameDecoder(channel, options.wireFormat(), options.maxMessageSize(), warnings);
		this.fds = new ReceivedFds(budget, options.maxReceivedFds(),
				() -> loop.execute(() -> resume(PAUSED_FOR_FDS)));
		if (callerReads(options, transport, listener)) {
			this.turn = new ReentrantLock();
			this.resumed = this.turn.newCondition();
		}
		else {
			this.turn = null;
			this.resumed = null;
		}
	}

	/** Whether {@code receive} reads the socket itself: asked for, no listener, and a transport that can. */
	private static boolean callerReads(ChannelOptions options, Transport transport, @Nullable ImsgListener listener) {
		return options.callerReads() && listener == null && transport.supportsCallerReads();
	}

	/** @return whether the event loop reads this channel ({@code false} with caller reads) */
	boolean loopReads() {
		return this.turn == null;
	}

	void registered(Poller.Registration registration) {
		this.key = registration;
	}

	ReceivedFds fds() {
		return this.fds;
	}

	/** Bytes read from the socket so far; any thread. */
	long bytesRead() {
		return this.decoder.bytesRead();
	}

	/**
	 * Reads and delivers until the socket is drained, or everything left after a hang-up. For fairness between the
	 * loop's connections a turn ends after {@value #READS_PER_TURN} reads: many, because a message with a
	 * descriptor comes alone in its read, and every turn costs a wait for readiness.
	 */
	void readAvailable(boolean drainAll) {
		ByteBuffer buf = this.loop.readBuffer(this.options.maxMessageSize() + READ_ROOM);
		try {
			for (int i = 0; (drainAll || i < READS_PER_TURN) && !this.channel.isClosed()
					&& (drainAll || this.paused == 0); i++) {
				FrameDecoder.Result result;
				try {
					result = this.decoder.readFrom(this.transport, buf, this.sink);
				}
				finally {
					readComplete();
				}
				if (result == FrameDecoder.Result.EOF) {
					inputClosed();
					return;
				}
				if (result == FrameDecoder.Result.DRAINED && !drainAll) {
					return;
				}
			}
		}
		catch (ImsgException ex) {
			this.channel.fail(ex);
		}
		catch (IOException ex) {
			readFailed(ex);
		}
	}

	private void readFailed(IOException ex) {
		if (!this.channel.isClosed()) {
			this.channel.fail(new ImsgIoException(this.channel.name() + ": read failed: " + ex.getMessage()
					+ ("No buffer space available".equals(ex.getMessage())
							? " (control data truncated: the peer sent more file descriptors than one message may carry)"
							: ""),
					ex));
		}
	}

	/**
	 * With caller reads: the next message, reading the socket on this thread while none is queued, waiting up to
	 * {@code nanos} in all.
	 *
	 * @return the message, or {@code null} if none came in time
	 * @throws ImsgClosedException once the channel closed and every message before that was taken
	 */
	@Nullable Imsg receiveReading(ChannelInbox in, long nanos) {
		Imsg m = in.take(0);
		if (m != null) {
			return m;
		}
		long deadline = System.nanoTime() + nanos;
		ReentrantLock t = this.turn;
		try {
			if (!t.tryLock(nanos, TimeUnit.NANOSECONDS)) {
				return null;
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		try {
			while (true) {
				m = in.take(0);
				if (m != null) {
					return m;
				}
				long left = deadline - System.nanoTime();
				if (this.channel.isClosed()) {
					return in.take(Math.max(left, 0)); // the end marker is on its way: take() throws
				}
				if (left <= 0) {
					return null;
				}
				if (this.paused != 0) {
					this.resumed.awaitNanos(left);
					continue;
				}
				FrameDecoder.Result result;
				try {
					result = this.decoder.readFrom(this.transport, ownBuffer(), this.sink);
				}
				catch (ImsgException ex) {
					this.channel.fail(ex);
					continue;
				}
				catch (IOException ex) {
					readFailed(ex);
					continue;
				}
				if (result == FrameDecoder.Result.EOF) {
					inputClosed();
				}
				else if (result == FrameDecoder.Result.DRAINED && in.size() == 0) {
					try {
						if (!this.transport.awaitReadable(left)) {
							return null;
						}
					}
					catch (IOException ex) {
						readFailed(ex);
					}
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		finally {
			t.unlock();
			runPendingClose();
		}
	}

	private ByteBuffer ownBuffer() {
		ByteBuffer b = this.ownBuffer;
		if (b == null) {
			b = ByteBuffer.allocateDirect(this.options.maxMessageSize() + READ_ROOM).order(java.nio.ByteOrder.nativeOrder());
			this.ownBuffer = b;
		}
		b.clear();
		return b;
	}

	/**
	 * Closes the socket through {@code close} now if no thread is reading it, else right after that thread is done
	 * (it is woken from its wait first). Where the loop reads, that is always now: this runs on the loop.
	 */
	void closeSocketWhenIdle(Runnable close) {
		if (this.turn == null) {
			close.run();
			return;
		}
		this.pendingClose.set(close);
		if (!runPendingClose()) {
			this.transport.shutdownInput(); // wakes the reader in poll(2); it runs the close as it leaves
			runPendingClose();
		}
	}

	/** @return {@code false} when another thread holds the turn (it runs the pending close as it leaves) */
	private boolean runPendingClose() {
		ReentrantLock t = this.turn;
		if (this.pendingClose.get() == null) {
			return true;
		}
		if (!t.tryLock()) {
			return false;
		}
		try {
			Runnable close = this.pendingClose.getAndSet(null);
			if (close != null) {
				close.run();
				this.resumed.signalAll(); // a reader waiting for a resume learns of the close now
			}
			return true;
		}
		finally {
			t.unlock();
		}
	}

	/** Tells the listener that the messages of a read were all delivered, if it was given any. */
	private void readComplete() {
		ImsgListener l = this.listener;
		if (l != null && this.deliveredInRead) {
			this.deliveredInRead = false;
			try {
				l.onReadComplete(this.channel);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING,
						() -> this.channel.name() + ": listener onReadComplete failed", ex);
			}
		}
	}

	private void deliver(Imsg message) {
		if (this.channel.isClosed()) {
			message.close();
			return;
		}
		HeldFd fd = message.heldFd();
		if (fd != null && fd.isHeld()) {
			ReceivedFds.Attached attached = this.fds.attach(fd);
			if (attached == ReceivedFds.Attached.OVER_BUDGET) {
				message.close();
				this.channel.fail(new ImsgLimitException(this.channel.name() + ": received descriptors across "
						+ "connections are at the shared " + this.budget
						+ "; closing this connection, whose descriptor went over it"));
				return;
			}
			if (attached == ReceivedFds.Attached.AT_LIMIT) {
				suspend(PAUSED_FOR_FDS);
			}
		}
		ChannelInbox in = this.inbox;
		if (in != null) {
			boolean reserved = in.reserve(message);
			while (!reserved && this.budget.evictLargestBut(this.channel, ChannelInbox.size(message))) {
				reserved = in.reserve(message);
			}
			if (!reserved) {
				message.close();
				this.channel.fail(new ImsgLimitException(this.channel.name() + ": received messages queued across "
						+ "connections are at the shared " + this.budget
						+ "; closing this connection, whose message went over it"));
				return;
			}
			int waiting = in.add(message);
			if (this.turn == null && waiting >= this.options.receiveQueueCapacity()) {
				suspend(PAUSED_BY_OWNER); // with caller reads, receive() reads only once the queue is empty
			}
			return;
		}
		this.deliveredInRead = true;
		try {
			this.listener.onMessage(this.channel, message);
		}
		catch (RuntimeException ex) {
			// Counted against the peer's share of the log: a peer can make every message fail (a reply to a peer
			// that does not read, say). The stack trace only at debug level.
			this.warnings.log(LOG, System.Logger.Level.WARNING,
					() -> this.channel.name() + ": listener failed on " + message + ": " + ex, ex);
			message.close();
		}
	}

	/** Stops reading for {@code reason} until {@link #resume} with the same reason. */
	void suspend(int reason) {
		ReentrantLock t = this.turn;
		if (t != null) {
			if (reason != PAUSED_FOR_FDS) {
				return; // with caller reads, the owner reads only when it calls receive(): nothing else to pause
			}
			// Only the reading thread stops itself, in deliver(): it holds the turn already.
			t.lock();
			try {
				this.paused |= reason;
			}
			finally {
				t.unlock();
			}
			return;
		}
		this.paused |= reason;
		Poller.Registration k = this.key;
		if (k != null && k.isValid()) {
			k.interestOps(k.interestOps() & ~Poller.READ);
		}
	}

	void resume(int reason) {
		ReentrantLock t = this.turn;
		if (t != null) {
			// Never held long while reading is paused: a paused reader waits on the condition, not in poll(2).
			t.lock();
			try {
				this.paused &= ~reason;
				this.resumed.signalAll();
			}
			finally {
				t.unlock();
			}
			return;
		}
		if ((this.paused & reason) == 0 || this.channel.isClosed()) {
			return;
		}
		this.paused &= ~reason;
		Poller.Registration k = this.key;
		if (this.paused == 0 && k != null && k.isValid()) {
			k.interestOps(k.interestOps() | Poller.READ);
		}
	}

	/** Any thread: the owner took a message from the inbox, {@code waiting} are left; read again from half full. */
	void taken(int waiting) {
		if (this.turn == null && (this.paused & PAUSED_BY_OWNER) != 0 && waiting <= this.options.receiveQueueCapacity() / 2) {
			this.loop.execute(() -> resume(PAUSED_BY_OWNER));
		}
	}

	/** End of stream from the peer: the listener may keep the channel open to send what it still owes. */
	private void inputClosed() {
		ImsgListener l = this.listener;
		boolean keep = false;
		if (l != null && (this.paused & INPUT_CLOSED) == 0) {
			try {
				keep = l.onInputClosed(this.channel);
			}
			catch (RuntimeException ex) {
				SafeLog.log(LOG, System.Logger.Level.WARNING,
						() -> this.channel.name() + ": listener onInputClosed failed", ex);
			}
		}
		if (keep) {
			suspend(INPUT_CLOSED);
			return;
		}
		this.channel.peerClosed();
	}

	/** On the loop, right before the socket closes: delivered messages keep the descriptors nobody took yet. */
	void beforeSocketCloses() {
		this.fds.detachAllBeforeClose();
	}

	/** On the loop, once the socket is closed: descriptors of a message never completed are closed. */
	void afterSocketClosed() {
		this.decoder.dispose();
	}
}
