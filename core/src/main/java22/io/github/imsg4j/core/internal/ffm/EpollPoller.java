package io.github.imsg4j.core.internal.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import io.github.imsg4j.core.internal.EventLoop;
import io.github.imsg4j.core.internal.Poller;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * {@link Poller} over {@code epoll(7)}, level-triggered: a connection whose reading is paused simply leaves
 * {@code EPOLLIN} out of its interest, and one that is not drained in a turn (the channel bounds reads per turn
 * for fairness) is reported again without bookkeeping of ours. Idle connections cost nothing per turn: the
 * kernel reports only ready ones. An {@code eventfd} wakes the loop. On {@code EPOLLHUP}/{@code EPOLLERR} the
 * registration ends and the handler hears {@link EventLoop.Handler#onInvalid()}, as junixsocket's selector does
 * on {@code POLLHUP}, so the channel code is the same on both transports.
 *
 * <p>Each event carries the descriptor and a registration number, so that an event for a descriptor closed
 * and reused in the same turn cannot reach the new registration. Loop thread only, but for {@link #wakeup()}.
 */
final class EpollPoller implements Poller {

	private static final int MAX_EVENTS = 256;

	private static final int WAKE_MARK = -1;

	private final Arena arena = Arena.ofShared();

	private final MemorySegment state = Posix.newState(this.arena);

	private final MemorySegment events = this.arena.allocate(Posix.EPOLL_EVENT_SIZE * MAX_EVENTS, 8);

	private final MemorySegment ctlEvent = this.arena.allocate(16, 8);

	private final MemorySegment wakeValue = this.arena.allocate(8, 8);

	private final MemorySegment wakeState = Posix.newState(this.arena);

	private final int epfd;

	private final int wakeFd;

	/** Registrations by descriptor number. */
	private Reg[] regs = new Reg[64];

	private int nextId;

	private volatile boolean closed;

	EpollPoller() throws IOException {
		try {
			this.epfd = (int) Posix.EPOLL_CREATE1.invokeExact(this.state, Posix.EPOLL_CLOEXEC);
			if (this.epfd < 0) {
				throw Posix.failure("epoll_create1", Posix.errno(this.state));
			}
			this.wakeFd = (int) Posix.EVENTFD.invokeExact(this.state, 0, Posix.EFD_NONBLOCK | Posix.EFD_CLOEXEC);
			if (this.wakeFd < 0) {
				int errno = Posix.errno(this.state);
				FfmSocketLayer.closeFd(this.epfd);
				throw Posix.failure("eventfd", errno);
			}
			ctl(Posix.EPOLL_CTL_ADD, this.wakeFd, Posix.EPOLLIN, WAKE_MARK);
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IOException("cannot set up epoll: " + ex, ex);
		}
	}

	@Override
	public Registration register(Object socket, int ops, EventLoop.Handler handler) throws IOException {
		int fd = (socket instanceof FfmTransport t) ? t.fd() : ((FfmListening) socket).fd();
		if (fd >= this.regs.length) {
			this.regs = Arrays.copyOf(this.regs, Math.max(fd + 1, this.regs.length * 2));
		}
		Reg reg = new Reg(fd, ++this.nextId, ops, handler);
		ctl(Posix.EPOLL_CTL_ADD, fd, events(ops), reg.id);
		this.regs[fd] = reg;
		return reg;
	}

	private static int events(int ops) {
		int ev = 0;
		if ((ops & (READ | ACCEPT)) != 0) {
			ev |= Posix.EPOLLIN;
		}
		if ((ops & WRITE) != 0) {
			ev |= Posix.EPOLLOUT;
		}
		return ev;
	}

	private void ctl(int op, int fd, int events, int id) throws IOException {
		this.ctlEvent.set(JAVA_INT_UNALIGNED, 0, events);
		this.ctlEvent.set(JAVA_LONG_UNALIGNED, Posix.EPOLL_EVENT_DATA, ((long) id << 32) | (fd & 0xFFFFFFFFL));
		int rc;
		try {
			rc = (int) Posix.EPOLL_CTL.invokeExact(this.state, this.epfd, op, fd, this.ctlEvent);
		}
		catch (Throwable ex) {
			throw new IOException("epoll_ctl failed: " + ex, ex);
		}
		if (rc != 0) {
			throw Posix.failure("epoll_ctl", Posix.errno(this.state));
		}
	}

	@Override
	public void poll(long timeoutMillis) throws IOException {
		int n;
		try {
			n = (int) Posix.EPOLL_WAIT.invokeExact(this.state, this.epfd, this.events, MAX_EVENTS,
					(int) Math.min(Integer.MAX_VALUE, timeoutMillis));
		}
		catch (Throwable ex) {
			throw new IOException("epoll_wait failed: " + ex, ex);
		}
		if (n < 0) {
			int errno = Posix.errno(this.state);
			if (errno == Posix.EINTR) {
				return;
			}
			throw Posix.failure("epoll_wait", errno);
		}
		for (int i = 0; i < n; i++) {
			long at = i * Posix.EPOLL_EVENT_SIZE;
			int ev = this.events.get(JAVA_INT_UNALIGNED, at);
			long data = this.events.get(JAVA_LONG_UNALIGNED, at + Posix.EPOLL_EVENT_DATA);
			int fd = (int) data;
			int id = (int) (data >>> 32);
			if (id == WAKE_MARK) {
				drainWakeups();
				continue;
			}
			Reg reg = (fd < this.regs.length) ? this.regs[fd] : null;
			if (reg == null || reg.id != id || !reg.valid) {
				continue; // cancelled, or its descriptor reused, earlier in this turn
			}
			if ((ev & (Posix.EPOLLHUP | Posix.EPOLLERR)) != 0) {
				reg.drop();
				try {
					reg.handler.onInvalid();
				}
				catch (Throwable ex) {
					log("handler failed on hang-up of descriptor " + fd, ex);
				}
				continue;
			}
			int ready = 0;
			if ((ev & Posix.EPOLLIN) != 0) {
				ready |= reg.ops & (READ | ACCEPT);
			}
			if ((ev & Posix.EPOLLOUT) != 0) {
				ready |= reg.ops & WRITE;
			}
			if (ready != 0) {
				try {
					reg.handler.onReady(ready);
				}
				catch (Throwable ex) {
					log("handler failed on descriptor " + fd, ex);
				}
			}
		}
	}

	private void drainWakeups() {
		try {
			long ignored = (long) Posix.READ.invokeExact(this.state, this.wakeFd, this.wakeValue, 8L);
		}
		catch (Throwable ex) {
			// a failed read only costs another wake-up
		}
	}

	@Override
	public void wakeup() {
		if (this.closed) {
			return;
		}
		try {
			synchronized (this.wakeValue) {
				// any thread: its own capture segment and value, guarded, since wake-ups are rare (coalesced by the loop)
				this.wakeValue.set(JAVA_LONG, 0, 1L);
				long ignored = (long) Posix.WRITE.invokeExact(this.wakeState, this.wakeFd, this.wakeValue, 8L);
			}
		}
		catch (Throwable ex) {
			// EAGAIN: the counter is already non-zero, the loop will wake
		}
	}

	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		FfmSocketLayer.closeFd(this.wakeFd);
		FfmSocketLayer.closeFd(this.epfd);
	}

	private static void log(String what, Throwable ex) {
		System.getLogger(EpollPoller.class.getName()).log(System.Logger.Level.ERROR, what, ex);
	}

	/** A descriptor's registration. */
	private final class Reg implements Registration {

		final int fd;

		final int id;

		final EventLoop.Handler handler;

		int ops;

		boolean valid = true;

		Reg(int fd, int id, int ops, EventLoop.Handler handler) {
			this.fd = fd;
			this.id = id;
			this.ops = ops;
			this.handler = handler;
		}

		@Override
		public int interestOps() {
			return this.ops;
		}

		@Override
		public void interestOps(int ops) {
			if (ops == this.ops || !this.valid) {
				return;
			}
			int before = events(this.ops);
			this.ops = ops;
			if (events(ops) != before) {
				try {
					ctl(Posix.EPOLL_CTL_MOD, this.fd, events(ops), this.id);
				}
				catch (IOException ex) {
					// the descriptor is gone (closed under us): the owner learns it from its next read or write
				}
			}
		}

		@Override
		public boolean isValid() {
			return this.valid;
		}

		@Override
		public void cancel() {
			if (this.valid) {
				drop();
			}
		}

		/** Out of the epoll set and the table, if the table still names this registration for the descriptor. */
		void drop() {
			this.valid = false;
			if (this.fd < EpollPoller.this.regs.length && EpollPoller.this.regs[this.fd] == this) {
				EpollPoller.this.regs[this.fd] = null;
				try {
					ctl(Posix.EPOLL_CTL_DEL, this.fd, 0, this.id);
				}
				catch (IOException ex) {
					// already closed: the kernel dropped it with the descriptor
				}
			}
		}
	}
}
