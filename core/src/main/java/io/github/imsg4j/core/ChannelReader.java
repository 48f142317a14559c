package io.github.imsg4j.core;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.HeldFd;
import io.github.imsg4j.core.internal.Poller;
import io.github.imsg4j.core.internal.SafeLog;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * The receiving half of an {@link ImsgChannel}: decodes what its reading thread reads from the socket and
 * delivers each message to the listener or the {@link ChannelInbox}. Which thread reads is the subclass's one
 * job: {@link LoopReader} (the channel's event loop) or {@link CallerReader} (whichever thread is in
 * {@code receive()}). Everything here runs on the reading thread of the moment, except what says otherwise.
 *
 * <p>The reader never closes the socket; the transport does that once no call on it is in progress. It owns
 * what it decoded and nobody took ({@link #stop()}).
 */
abstract sealed class ChannelReader permits LoopReader, CallerReader {

	private static final System.Logger LOG = System.getLogger(ChannelReader.class.getName());

	/** Room beyond the largest message in a read buffer, so that one read can always bring something new. */
	static final int READ_ROOM = 64 * 1024;

	/** Paused by {@link ImsgChannel#pauseReading()} or a full {@link ChannelInbox}. */
	static final int PAUSED_BY_OWNER = 1;

	/** Paused while the connection holds {@link ChannelOptions#maxReceivedFds()} received descriptors. */
	static final int PAUSED_FOR_FDS = 2;

	/** The peer sent its end of stream and the listener keeps the channel open to reply: never read again. */
	static final int INPUT_CLOSED = 4;

	final ImsgChannel channel;

	final Transport transport;

	final EventLoop loop;

	final ChannelOptions options;

	private final ImsgBudget budget;

	final FrameDecoder decoder;

	private final @Nullable ImsgListener listener;

	/** Where messages go when there is no listener. */
	final @Nullable ChannelInbox inbox;

	private final ReceivedFds fds;

	/** Log lines about this peer, counted against the connection's and the limiter's shares. */
	private final PeerLogLimiter.Connection warnings;

	/** Why reading is paused, a set of the {@code PAUSED_*} bits and {@link #INPUT_CLOSED}; reads only at 0. */
	volatile int paused;

	/** {@link #deliver}, made once rather than per read. */
	final Consumer<Imsg> sink = this::deliver;

	/** The listener got a message since its last {@link ImsgListener#onReadComplete}. */
	private boolean deliveredInRead;

	/** Completes once {@link #stop()} has closed what the reader held. */
	final CompletableFuture<Void> stopped = new CompletableFuture<>();

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
		this.fds = new ReceivedFds(budget, options.maxReceivedFds(), this::belowHalfOfFds);
	}

	/**
	 * The reader a channel needs: the caller's own thread reads when asked for, there is no listener, and the
	 * transport can wait for readiness outside the loop; else the loop reads.
	 */
	static ChannelReader of(ImsgChannel channel, Transport transport, EventLoop loop, ChannelOptions options,
			ImsgBudget budget, PeerLogLimiter.Connection warnings, @Nullable ImsgListener listener,
			@Nullable ChannelInbox inbox) {
		if (options.callerReads() && listener == null && inbox != null && transport.supportsCallerReads()) {
			return new CallerReader(channel, transport, loop, options, budget, warnings, inbox);
		}
		return new LoopReader(channel, transport, loop, options, budget, warnings, listener, inbox);
	}

	/** @return whether the event loop reads this channel ({@code false} with caller reads) */
	abstract boolean loopReads();

	/** On the loop, once the channel is registered. */
	abstract void registered(Poller.Registration registration);

	/** Stops reading for {@code reason} until {@link #resume} with the same reason. */
	abstract void suspend(int reason);

	/** Reads again once no other reason to pause is left. */
	abstract void resume(int reason);

	/**
	 * After the channel was marked closed, on the loop: closes what was decoded and not delivered, and stops
	 * counting delivered descriptors against the connection. Where another thread is reading (caller reads), that
	 * thread does it as it leaves. {@link #stopped} completes when it is done.
	 */
	abstract void stop();

	/** Any thread: a descriptor was released and this connection holds half its limit or fewer again. */
	private void belowHalfOfFds() {
		this.loop.execute(() -> resume(PAUSED_FOR_FDS));
	}

	ReceivedFds fds() {
		return this.fds;
	}

	/** Bytes read from the socket so far; any thread. */
	long bytesRead() {
		return this.decoder.bytesRead();
	}

	/** The work of {@link #stop()}, on the thread that reads (or the loop, when none is reading). */
	final void releaseHeld() {
		try {
			this.fds.stopCounting();
			this.decoder.dispose();
		}
		finally {
			this.stopped.complete(null);
		}
	}

	final void readFailed(IOException ex) {
		if (!this.channel.isClosed()) {
			this.channel.fail(new ImsgIoException(this.channel.name() + ": read failed: " + ex.getMessage()
					+ ("No buffer space available".equals(ex.getMessage())
							? " (control data truncated: the peer sent more file descriptors than one message may carry)"
							: ""),
					ex));
		}
	}

	/** Tells the listener that the messages of a read were all delivered, if it was given any. */
	final void readComplete() {
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
			queued(in.add(message));
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

	/** A message went into the inbox, where {@code waiting} now wait. */
	abstract void queued(int waiting);

	/** End of stream from the peer: the listener may keep the channel open to send what it still owes. */
	final void inputClosed() {
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
}
