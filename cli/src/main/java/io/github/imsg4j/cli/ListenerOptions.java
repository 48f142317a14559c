package io.github.imsg4j.cli;

import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.ListenOptions;
import io.github.imsg4j.core.PeerCredentials;
import picocli.CommandLine.Option;

/**
 * Options every listening subcommand shares: the socket file's mode, and who may connect. By default only this
 * process's own uid may connect, to a {@code 0600} socket: a tool that acts for its peers (the proxy connects
 * onward as itself) must not lend that identity to other users.
 */
final class ListenerOptions {

	private static final long OWN_UID = ownUid();

	@Option(names = "--mode", defaultValue = "0600", paramLabel = "OCTAL",
			description = "permissions of the socket file (default: ${DEFAULT-VALUE}); other users also need --allow-*")
	String mode = "0600";

	@Option(names = "--allow-uid", split = ",", paramLabel = "UID",
			description = "also let peers of these uids connect (default: only this process's uid)")
	List<Long> allowUids = new ArrayList<>();

	@Option(names = "--allow-gid", split = ",", paramLabel = "GID",
			description = "also let peers whose primary group is one of these gids connect")
	List<Long> allowGids = new ArrayList<>();

	/** The socket file's options. */
	ListenOptions listenOptions() {
		return ListenOptions.defaults().withMode(ListenOptions.parseMode(this.mode));
	}

	/** Whether {@code peer} may connect, from its kernel credentials. */
	boolean allows(PeerCredentials peer) {
		return peer.uid() == OWN_UID || this.allowUids.contains(peer.uid()) || this.allowGids.contains(peer.gid());
	}

	/** Who may connect, for the start-up line. */
	String describe() {
		String who = "uid " + OWN_UID;
		if (!this.allowUids.isEmpty()) {
			who += ", uids " + this.allowUids;
		}
		if (!this.allowGids.isEmpty()) {
			who += ", gids " + this.allowGids;
		}
		return "socket mode " + this.mode + ", peers allowed: " + who;
	}

	/** One line about a refused peer, to stderr: a local tool's log, bounded by the refusals a user causes. */
	void refused(String command, PeerCredentials peer) {
		System.err.println("imsg4j " + command + ": refused peer pid " + peer.pid() + " uid " + peer.uid() + " gid "
				+ peer.gid() + ": not allowed (see --allow-uid, --allow-gid)");
	}

	static long ownUid() {
		return PeerCredentials.ownUid();
	}
}
