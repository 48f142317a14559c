package io.github.imsg4j.core;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * Where the C reference peers are: OpenBSD's imsg in both generations, built from {@code ../shared/cpeer} into
 * {@code target/cpeer} by {@code .ci/run} (the build passes the directory as {@code imsg4j.cpeer.dir}). Tests
 * that need them are skipped, saying why, when they are not built; in CI ({@code CI=true}) a missing peer is a
 * failure instead, so that a CI run without {@code ../shared} cannot pass without its interop tests. Shared
 * with the other modules' tests.
 */
public final class CPeers {

	private CPeers() {
	}

	/**
	 * @param wire the generation
	 * @return the {@code cbench} binary of that generation
	 */
	public static Path binary(WireFormat wire) {
		Path dir = Path.of(System.getProperty("imsg4j.cpeer.dir", "../target/cpeer")).toAbsolutePath().normalize();
		Path bin = dir.resolve((wire == WireFormat.CLASSIC) ? "cbench-classic" : "cbench-current");
		String why = "C imsg peer not built at " + bin + ": run `make -C ../shared/cpeer O=" + dir + "` (.ci/run does)";
		if ("true".equals(System.getenv("CI")) && !Files.isExecutable(bin)) {
			throw new AssertionError(why + "; in CI the interop tests must run");
		}
		Assumptions.assumeTrue(Files.isExecutable(bin), why);
		return bin;
	}
}
