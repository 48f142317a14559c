package io.github.imsg4j.core.internal;

import io.github.imsg4j.core.Fds;
import io.github.imsg4j.core.OutboundFd;

/** What happens to an outbound descriptor once its message was sent or discarded. */
final class FdRelease {

	private FdRelease() {
	}

	/** Closes the descriptor when the channel owns it ({@link OutboundFd#transfer}); leaves it otherwise. */
	static void release(OutboundFd fd) {
		if (!fd.closeAfterSend()) {
			return;
		}
		if (fd.madeHere()) {
			SocketLayer.get().closeOwn(fd.fd());
		}
		else {
			Fds.closeQuietly(fd.fd()); // the application's: the JDK may hold a cleaner for it
		}
	}
}
