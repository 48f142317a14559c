package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.util.WeakHashMap;

import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/**
 * The descriptors a connection delivered and nobody has taken or closed yet: counted against the connection's
 * limit ({@link ChannelOptions#maxReceivedFds()}) and the shared budget, and made independent of the socket
 * (junixsocket keeps received descriptors registered with it) when taken or when the socket closes.
 *
 * <p>One scheme: this object's monitor guards everything. {@link #attach} runs on the loop; {@link #release} and
 * {@link #detach} on whichever thread the application closes or takes a message's descriptor.
 */
final class ReceivedFds {

	private final Transport transport;

	private final ImsgBudget budget;

	private final int limit;

	/** Resumes reading once half the limit is free again; runs on the loop. */
	private final Runnable belowHalf;

	/**
	 * Delivered messages whose descriptor the socket still has registered, weakly: a message dropped without
	 * close() is still closed by its Cleaner. Made with the first such message (an idle connection does without).
	 */
	private @Nullable WeakHashMap<Imsg, Boolean> held;

	/** Descriptors reserved from {@link #budget}. */
	private int reserved;

	/** {@link #attach} said {@link Attached#AT_LIMIT} and reading has not been resumed since. */
	private boolean stopped;

	ReceivedFds(Transport transport, ImsgBudget budget, int limit, Runnable belowHalf) {
		this.transport = transport;
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
		/** The shared budget has no room: the message was not attached. */
		OVER_BUDGET
	}

	/** A delivered message with a descriptor; it detaches the descriptor from the socket only if it is taken. */
	Attached attach(Imsg message) {
		boolean atLimit;
		synchronized (this) {
			if (!this.budget.tryReserveFd()) {
				return Attached.OVER_BUDGET;
			}
			this.reserved++;
			WeakHashMap<Imsg, Boolean> holding = this.held;
			if (holding == null) {
				holding = new WeakHashMap<>(4);
				this.held = holding;
			}
			holding.put(message, Boolean.TRUE);
			atLimit = holding.size() >= this.limit;
			this.stopped |= atLimit;
		}
		message.attachTo(this);
		return atLimit ? Attached.AT_LIMIT : Attached.HELD;
	}

	/** A message whose descriptor was closed; the connection reads again once half its limit is free. */
	void release(Imsg message) {
		boolean resume = false;
		synchronized (this) {
			if (this.held != null && this.held.remove(message) != null) {
				this.reserved--;
				this.budget.releaseFds(1);
				resume = this.stopped && this.held.size() <= this.limit / 2;
				this.stopped &= !resume;
			}
		}
		if (resume) {
			this.belowHalf.run();
		}
	}

	/** A message's descriptor taken ({@link Imsg#takeFd()}): released, and made independent of the socket. */
	FileDescriptor detach(Imsg message, FileDescriptor raw) throws IOException {
		release(message);
		return this.transport.detach(raw);
	}

	/**
	 * On the loop, right before the socket closes: messages still holding a descriptor keep it, no longer counted
	 * against this connection.
	 */
	void detachAllBeforeClose() {
		Imsg[] holding;
		synchronized (this) {
			this.budget.releaseFds(this.reserved);
			this.reserved = 0;
			if (this.held == null) {
				return;
			}
			holding = this.held.keySet().toArray(new Imsg[0]);
			this.held = null;
		}
		for (Imsg m : holding) {
			m.detachBeforeSocketCloses();
		}
	}
}
