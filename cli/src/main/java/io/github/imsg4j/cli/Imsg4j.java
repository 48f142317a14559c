package io.github.imsg4j.cli;

import io.github.imsg4j.core.WireFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code imsg4j} command's entry point. */
@Command(name = "imsg4j", mixinStandardHelpOptions = true, version = "imsg4j 0.1.0-SNAPSHOT",
		description = "Talk imsg (OpenBSD's IPC protocol) over UNIX sockets.",
		subcommands = { CatCommand.class, ProxyCommand.class, BenchCommand.class })
public final class Imsg4j {

	/**
	 * Runs the command and exits with its status.
	 *
	 * @param args the arguments
	 */
	public static void main(String[] args) {
		System.exit(run(args));
	}

	/**
	 * Runs the command.
	 *
	 * @param args the arguments
	 * @return the exit status
	 */
	public static int run(String... args) {
		return commandLine().execute(args);
	}

	static CommandLine commandLine() {
		CommandLine cl = new CommandLine(new Imsg4j());
		cl.setCaseInsensitiveEnumValuesAllowed(true);
		cl.registerConverter(WireFormat.class, (s) -> WireFormat.valueOf(s.toUpperCase()));
		return cl;
	}
}
