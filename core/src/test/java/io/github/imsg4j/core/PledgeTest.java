package io.github.imsg4j.core;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ImsgPledge}: a JVM that forbade itself {@code execve} and {@code ptrace} can no longer run a program from
 * any thread, and goes on otherwise (it still serves, here: it prints). In a JVM of its own ({@link Pledged}),
 * since the filter cannot be taken back. On Java 17-21, one clear error and nothing forbidden.
 */
class PledgeTest {

	/** Forbids itself exec, then tries {@code /bin/true} from a new thread; prints what happened. */
	public static final class Pledged {

		public static void main(String[] args) throws Exception {
			try {
				System.out.println("pledged: " + ImsgPledge.forbidExecAndDebugging());
			}
			catch (ImsgException ex) {
				System.out.println("refused: " + ex.getMessage());
			}
			String[] outcome = new String[1];
			Thread t = new Thread(() -> {
				try {
					outcome[0] = "ran, exit " + new ProcessBuilder("/bin/true").start().waitFor();
				}
				catch (Exception ex) {
					outcome[0] = "exec failed: " + ex.getMessage();
				}
			});
			t.start();
			t.join();
			System.out.println(outcome[0]);
		}
	}

	@Test
	void aPledgedJvmCannotRunAProgramFromAnyThread() throws Exception {
		Process p = new ProcessBuilder(TestJvm.command(Pledged.class)).redirectErrorStream(true).start();
		List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
		assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
		if (Runtime.version().feature() >= 22 && "amd64".equals(System.getProperty("os.arch"))) {
			assertThat(lines).anySatisfy((l) -> assertThat(l).startsWith("pledged: seccomp filter on every thread: execve, "));
			assertThat(lines).anySatisfy((l) -> assertThat(l).startsWith("exec failed:").contains("Operation not permitted"));
		}
		else {
			assertThat(lines).anySatisfy((l) -> assertThat(l).startsWith("refused: "));
			assertThat(lines).contains("ran, exit 0");
		}
	}
}
