package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.imsg4j.core.internal.JunixInternals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Descriptor numbers to objects and back, which the FFM transport needs for every descriptor it hands to the
 * application or sends from one: one JNI call each through junixsocket's {@code NativeUnixSocket}, reached by
 * reflection. Fails if a junixsocket upgrade moves them (the fallback then costs two system calls per
 * descriptor: see docs/architecture.md).
 */
@ExtendWith(OpenFds.class)
class DescriptorNumbersTest {

	@Test
	void aNumberBecomesAnObjectForTheSameOpenFileAndBack() throws Exception {
		assertThat(JunixInternals.directDescriptorAccess()).as("NativeUnixSocket.getFD/initFD reachable").isTrue();
		try (FileInputStream in = new FileInputStream("/dev/null")) {
			int n = JunixInternals.numberOf(in.getFD());
			assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + n))).isEqualTo(Path.of("/dev/null"));
			FileDescriptor again = JunixInternals.objectOf(n);
			assertThat(again.valid()).isTrue();
			assertThat(JunixInternals.numberOf(again)).isEqualTo(n);
		}
	}
}
