package io.github.imsg4j.core.internal.ffm;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.internal.ListeningSocket;
import io.github.imsg4j.core.internal.Transport;
import org.jspecify.annotations.Nullable;

/** A listening socket: {@code bind(2)}, {@code listen(2)}, {@code accept4(2)} with close-on-exec and non-blocking. */
final class FfmListening implements ListeningSocket {

	private final int fd;

	private final @Nullable FileDescriptor adoptedFrom;

	private volatile boolean closed;

	FfmListening(int fd, @Nullable FileDescriptor adoptedFrom) {
		this.fd = fd;
		this.adoptedFrom = adoptedFrom;
	}

	int fd() {
		return this.fd;
	}

	@Override
	public void bind(Path path, int backlog) throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Posix.newState(arena);
			MemorySegment addr = Posix.sockaddr(arena, path);
			int rc = (int) Posix.BIND.invokeExact(state, this.fd, addr, (int) Posix.SOCKADDR_UN_SIZE);
			if (rc != 0) {
				throw Posix.failure("bind " + path, Posix.errno(state));
			}
			rc = (int) Posix.LISTEN.invokeExact(state, this.fd, backlog);
			if (rc != 0) {
				throw Posix.failure("listen " + path, Posix.errno(state));
			}
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IOException("bind failed: " + ex, ex);
		}
	}

	/** The kernel knows the socket by its descriptor; nothing ever looks at the path again. */
	@Override
	public boolean needsBoundPath() {
		return false;
	}

	@Override
	public boolean bindsThroughDescriptors() {
		return true;
	}

	@Override
	public @Nullable Transport accept(boolean receiveFds) throws IOException {
		if (this.closed) {
			throw new IOException("listening socket closed");
		}
		Scratch s = Scratch.get();
		int client;
		try {
			do {
				client = (int) Posix.ACCEPT4.invokeExact(s.state, this.fd, MemorySegment.NULL, MemorySegment.NULL,
						Posix.SOCK_CLOEXEC | Posix.SOCK_NONBLOCK);
			}
			while (client < 0 && Posix.errno(s.state) == Posix.EINTR);
		}
		catch (Throwable ex) {
			throw new IOException("accept4 failed: " + ex, ex);
		}
		if (client < 0) {
			int errno = Posix.errno(s.state);
			if (errno == Posix.EAGAIN) {
				return null;
			}
			throw Posix.failure("accept4", errno);
		}
		try {
			return new FfmTransport(client, receiveFds, null);
		}
		catch (IOException | RuntimeException ex) {
			FfmSocketLayer.closeFd(client);
			throw ex;
		}
	}

	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		if (this.adoptedFrom != null) {
			Fds.closeQuietly(this.adoptedFrom);
		}
		else {
			FfmSocketLayer.closeFd(this.fd);
		}
	}
}
