package io.github.imsg4j.core;

import java.time.Duration;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the receive path with Jazzer: whatever bytes a peer writes (over a real socket),
 * the channel delivers messages and then ends, orderly or with a protocol error; it never hangs, never fails
 * any other way, and leaves no descriptor open.
 *
 * <p>A normal test run replays the corpus kept in {@code src/test/resources/…/DecoderCoverageFuzzTestInputs/decode}
 * as regression tests. {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=DecoderCoverageFuzzTest} fuzzes for
 * {@code maxDuration} (CI does, in {@code .ci/run}); new inputs go to {@code core/.cifuzz-corpus} (not kept),
 * and an input that fails is written next to the kept corpus, to be committed with its fix.
 */
class DecoderCoverageFuzzTest {

	// Not @ExtendWith(OpenFds.class): its static warm-up would load the core's classes before Jazzer's agent
	// instruments them (NoSuchFieldError in fuzzing mode). The count is checked per input instead.
	@FuzzTest(maxDuration = "20s")
	void decode(byte[] input) throws Exception {
		int before = OpenFds.count();
		for (WireFormat wire : WireFormat.values()) {
			try (RawPeer p = RawPeer.connect(ChannelOptions.defaults().withWireFormat(wire).withFdPassing(true), null)) {
				if (input.length > 0) {
					p.write(input);
				}
				p.socket.shutdownOutput();
				while (true) {
					Imsg m;
					try {
						m = p.channel.receive(Duration.ofSeconds(10));
					}
					catch (ImsgClosedException ex) {
						// the end: orderly, or a protocol error (its cause); both are fine
						if (ex.getCause() != null && !(ex.getCause() instanceof ImsgProtocolException)) {
							throw new AssertionError("ended with an unexpected error", ex);
						}
						break;
					}
					if (m == null) {
						throw new AssertionError("neither a message nor the end within 10 s");
					}
					m.close();
				}
			}
		}
		int after = OpenFds.awaitCount(before);
		// Fewer than before is no leak of this input's (something open at its start, of the fuzzer's or of an earlier
		// input's closing loop, closed since), as OpenFds judges it; more is.
		if (after > before) {
			throw new AssertionError("descriptors open: " + before + " before, " + after + " after");
		}
	}
}
