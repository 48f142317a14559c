package io.github.imsg4j.core.internal.ffm;

import java.io.FileDescriptor;
import java.io.IOException;

import io.github.imsg4j.core.internal.HeldFd;

/**
 * A descriptor received through the FFM layer: a plain number, registered nowhere, until the application takes
 * it (then one {@code FileDescriptor} is made for it), passes it on ({@code OutboundFd.forwardFrom}: still a
 * number) or it is closed (one {@code close(2)}).
 */
final class NumberFd extends HeldFd {

	private final int number;

	NumberFd(int number) {
		this.number = number;
	}

	@Override
	public boolean heldAsNumber() {
		return true;
	}

	@Override
	protected int handOverNumber() {
		return this.number;
	}

	@Override
	protected FileDescriptor handOver() throws IOException {
		try {
			return FfmSocketLayer.objectOf(this.number);
		}
		catch (IOException | RuntimeException ex) {
			FfmSocketLayer.closeFd(this.number);
			throw (ex instanceof IOException io) ? io : new IOException(ex.getMessage(), ex);
		}
	}

	@Override
	protected void closeNow() {
		FfmSocketLayer.closeFd(this.number);
	}
}
