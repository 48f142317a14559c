package io.github.imsg4j.cli;

import io.github.imsg4j.core.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** This module uses only the core's public API (see {@link ArchitectureRules}). */
class ArchitectureTest {

	@Test
	void usesNoCoreInternals() {
		ArchitectureRules.assertNoUseOfCoreInternals("io.github.imsg4j.cli");
	}
}
