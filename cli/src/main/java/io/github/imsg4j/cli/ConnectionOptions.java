package io.github.imsg4j.cli;

import io.github.imsg4j.core.ChannelOptions;
import io.github.imsg4j.core.WireFormat;
import picocli.CommandLine.Option;

/** Options every subcommand that opens a connection shares. */
final class ConnectionOptions {

	@Option(names = "--wire", description = "classic or current (default: ${DEFAULT-VALUE})", defaultValue = "current")
	WireFormat wire = WireFormat.CURRENT;

	@Option(names = "--max-size", description = "largest message, header included (default: ${DEFAULT-VALUE})",
			defaultValue = "16384")
	int maxSize = WireFormat.DEFAULT_MAX_MESSAGE_SIZE;

	/** Channel options for a debugging tool: descriptors accepted, a deep write queue. */
	ChannelOptions channelOptions() {
		return channelOptions(this.wire);
	}

	ChannelOptions channelOptions(WireFormat w) {
		return ChannelOptions.defaults()
			.withWireFormat(w)
			.withMaxMessageSize(w.checkMaxMessageSize(this.maxSize))
			.withFdPassing(true)
			.withWriteQueueLimit(Math.max(64L << 20, this.maxSize));
	}
}
