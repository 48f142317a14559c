package io.github.imsg4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the README's commands from rotting: every {@code cli/imsg4j …} line parses with the command's real
 * options, every script it names exists and is executable, every Maven module it names exists, and the two
 * commands are the ones .ci/run and the demo use.
 */
class ReadmeCommandsTest {

	static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	/** Indented (4+ spaces) command lines of the README, as a reader copies them. */
	static List<String> commands() throws Exception {
		List<String> out = new ArrayList<>();
		for (String line : Files.readAllLines(ROOT.resolve("README.md"))) {
			if (line.matches("^ {4,}\\S.*") && !line.strip().startsWith("<") && !line.strip().startsWith("@")) {
				String cmd = line.strip();
				if (cmd.startsWith("mvn ") || cmd.contains("cli/")) {
					out.add(cmd);
				}
			}
		}
		return out;
	}

	/** Splits simple shell words (single quotes, double quotes, no expansions but $PWD left as text). */
	static List<String> words(String s) {
		List<String> out = new ArrayList<>();
		Matcher m = Pattern.compile("'([^']*)'|\"([^\"]*)\"|(\\S+)").matcher(s);
		while (m.find()) {
			out.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
		}
		return out;
	}

	@Test
	void theReadmeHasItsTwoCommandsAndTheyAreTheOnesInUse() throws Exception {
		List<String> cmds = commands();
		assertThat(cmds).contains("mvn -B -q -ntp -pl demo-app -am package -DskipTests spring-boot:run", "mvn -B -ntp verify");
		assertThat(Files.readString(ROOT.resolve(".ci/run"))).contains("\nmvn -B -ntp verify\n");
	}

	@Test
	void everyImsg4jCommandLineParses() throws Exception {
		int checked = 0;
		for (String cmd : commands()) {
			int at = cmd.indexOf("cli/imsg4j ");
			if (at < 0) {
				continue;
			}
			List<String> args = words(cmd.substring(at + "cli/imsg4j ".length()));
			// parseArgs throws on an unknown subcommand or option, a missing parameter or a bad value
			Imsg4j.commandLine().parseArgs(args.toArray(new String[0]));
			checked++;
		}
		assertThat(checked).as("imsg4j command lines in the README").isGreaterThanOrEqualTo(3);
	}

	@Test
	void everyScriptAndModuleItNamesExists() throws Exception {
		for (String cmd : commands()) {
			for (String w : words(cmd)) {
				if (w.startsWith("cli/") && !w.contains(" ")) {
					assertThat(ROOT.resolve(w)).as(cmd).isExecutable();
				}
			}
			Matcher pl = Pattern.compile("-pl (\\S+)").matcher(cmd);
			while (pl.find()) {
				for (String module : pl.group(1).split(",")) {
					assertThat(ROOT.resolve(module).resolve("pom.xml")).as(cmd).exists();
				}
			}
		}
	}
}
