package io.github.imsg4j.core;

import java.util.HashSet;
import java.util.Set;

import io.github.imsg4j.core.internal.HeldFd;
import org.jspecify.annotations.Nullable;

/**
 * The descriptors a connection delivered and nobody has taken or closed yet: counted against the connection's
 * limit ({@link ChannelOptions#maxReceivedFds()}) and the shared budget until each {@link HeldFd} says it is
 * released, and, where the socket layer ties them to the socket (junixsocket), made independent of it before
 * the socket closes.
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

	/**
	 * Held descriptors that die with the socket unless untied first; made with the first (the FFM layer's never
	 * are, so it never makes one).
	 */
	private @Nullable Set<HeldFd> tied;

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
			if (fd.tiedToSocket()) {
				Set<HeldFd> t = this.tied;
				if (t == null) {
					t = new HashSet<>(4);
					this.tied = t;
				}
				t.add(fd);
			}
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
			if (this.tied != null) {
				this.tied.remove(fd);
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
	 * On the loop, right before the socket closes: messages still holding a descriptor keep it, no longer counted
	 * against this connection.
	 */
	void detachAllBeforeClose() {
		HeldFd[] holding;
		synchronized (this) {
			this.closed = true;
			this.budget.releaseFds(this.held);
			this.held = 0;
			if (this.tied == null) {
				return;
			}
			holding = this.tied.toArray(new HeldFd[0]);
			this.tied = null;
		}
		for (HeldFd fd : holding) {
			fd.untieFromSocket();
		}
	}
}
