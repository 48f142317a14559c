package io.github.imsg4j.core.internal;

import java.io.FileDescriptor;
import java.io.IOException;

import io.github.imsg4j.core.Fds;

/**
 * A descriptor received through junixsocket, which keeps it registered with the socket and closes it when the
 * socket closes: duplicated (and the original closed) only when the application takes it, or when the socket
 * is about to close while a message still holds it. A message closed unread never pays for the copy. The transport
 * knows every one it handed out that still depends on the socket, and unties them itself before it closes.
 */
final class JunixHeldFd extends HeldFd {

	private final JunixTransport transport;

	private FileDescriptor fd;

	/** {@link #fd} is a copy no socket knows of. */
	private boolean independent;

	JunixHeldFd(JunixTransport transport, FileDescriptor fd) {
		this.transport = transport;
		this.fd = fd;
	}

	@Override
	protected FileDescriptor handOver() throws IOException {
		this.transport.forget(this);
		return this.independent ? this.fd : this.transport.detach(this.fd);
	}

	/** Also unregisters it from the socket: closing needs no copy. */
	@Override
	protected void closeNow() {
		this.transport.forget(this);
		Fds.closeQuietly(this.fd);
	}

	@Override
	boolean untie() {
		this.transport.forget(this);
		if (this.independent) {
			return true;
		}
		try {
			this.fd = this.transport.detach(this.fd);
			this.independent = true;
			return true;
		}
		catch (IOException ex) {
			return false; // out of descriptors: detach closed the original
		}
	}
}
