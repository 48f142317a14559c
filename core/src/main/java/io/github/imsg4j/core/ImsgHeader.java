package io.github.imsg4j.core;

/**
 * The fields of one imsg header, as decoded by {@link WireFormat#decodeHeader}.
 *
 * @param type message type
 * @param len message length, header included, without the fd mark
 * @param claimsFd whether the header says a file descriptor travels with the message
 * @param peerid peer id
 * @param pid sender's process id as the sender wrote it
 */
public record ImsgHeader(int type, int len, boolean claimsFd, int peerid, int pid) {

	@Override
	public String toString() {
		return "type=" + Integer.toUnsignedString(this.type) + " len=" + this.len + (this.claimsFd ? " fd" : "")
				+ " peerid=" + Integer.toUnsignedString(this.peerid) + " pid=" + this.pid;
	}
}
