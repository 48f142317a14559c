package io.github.imsg4j.spring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * When a session's peer was last active, for {@code idle-timeout}: the event loop counts activity without
 * reading the clock (a clock read per message would cost more than the rest of the bookkeeping put together),
 * and the periodic idle check, its only reader, notes when the count last changed; exact to one check period.
 */
final class IdleClock {

	private static final VarHandle ACTIVITY;

	static {
		try {
			ACTIVITY = MethodHandles.lookup().findVarHandle(IdleClock.class, "activity", long.class);
		}
		catch (ReflectiveOperationException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	/** Messages received (and read resumptions): written by the event loop only, read by the idle check. */
	@SuppressWarnings("unused") // through ACTIVITY
	private long activity;

	/** The idle check's last view of {@link #activity}, and when it changed; the idle check's thread only. */
	private long activitySeen;

	private long activitySeenAt = System.nanoTime();

	/** On the event loop, per message (and when reading resumes). */
	void touch() {
		ACTIVITY.setOpaque(this, (long) ACTIVITY.getOpaque(this) + 1);
	}

	/** Time since the activity count last changed, as the periodic idle check sees it. */
	long idleNanos() {
		long now = System.nanoTime();
		long seen = (long) ACTIVITY.getOpaque(this);
		if (seen != this.activitySeen) {
			this.activitySeen = seen;
			this.activitySeenAt = now;
		}
		return now - this.activitySeenAt;
	}
}
