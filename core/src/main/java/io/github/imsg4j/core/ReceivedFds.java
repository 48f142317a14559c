package io.github.imsg4j.core;

import io.github.imsg4j.core.internal.HeldFd;

/**
 * The descriptors a connection delivered and nobody has taken or closed yet: counted against the connection's
 * limit ({@link ChannelOptions#maxReceivedFds()}) and the shared budget until each {@link HeldFd} says it is
 * released. (Where the socket layer ties them to the socket, junixsocket, its transport makes them independent
 * before the socket closes: not this class's business.)
 *
 * <p>One scheme: this object's monitor guards everything. {@link #attach} runs on the reading thread;
 * {@link #released} on whichever thread takes or closes a descriptor (or the cleaner's).
 */
final class ReceivedFds implements HeldFd.Holder {

	private final ImsgBudget budget;

	private final int limit;

	/** Resumes reading once half the limit is free again; runs on the loop. */
	private final Runnable belowHalf;

	/** Held descriptors, each reserved from {@link #budget}. */
	private int held;

	/** {@link #attach} said {@link Attached#AT_LIMIT} and reading has not been resumed since. */
	private boolean stopped;

	/** The socket closed: the count was given back in one go, later releases are no longer counted. */
	private boolean closed;

	ReceivedFds(ImsgBudget budget, int limit, Runnable belowHalf) {
		this.budget = budget;
		this.limit = limit;
		this.belowHalf = belowHalf;
	}

	/** Outcome of {@link #attach}. */
	enum Attached {
		/** Counted; the connection may read on. */
		HELD,
		/** Counted, and the connection is at its limit: stop reading. */
		AT_LIMIT,
		/** The shared budget has no room: the descriptor was not counted. */
		OVER_BUDGET
	}

	/** A delivered message's descriptor, counted until it is taken or closed. */
	Attached attach(HeldFd fd) {
		boolean atLimit;
		synchronized (this) {
			if (!this.budget.tryReserveFd()) {
				return Attached.OVER_BUDGET;
			}
			this.held++;
			atLimit = this.held >= this.limit;
			this.stopped |= atLimit;
		}
		fd.holdFor(this);
		return atLimit ? Attached.AT_LIMIT : Attached.HELD;
	}

	/** A descriptor taken or closed; the connection reads again once half its limit is free. */
	@Override
	public void released(HeldFd fd) {
		boolean resume;
		synchronized (this) {
			if (this.closed) {
				return;
			}
			this.held--;
			this.budget.releaseFds(1);
			resume = this.stopped && this.held <= this.limit / 2;
			this.stopped &= !resume;
		}
		if (resume) {
			this.belowHalf.run();
		}
	}

	/**
	 * When the connection closes: messages still holding a descriptor keep it, no longer counted against this
	 * connection or the budget.
	 */
	synchronized void stopCounting() {
		this.closed = true;
		this.budget.releaseFds(this.held);
		this.held = 0;
	}
}
