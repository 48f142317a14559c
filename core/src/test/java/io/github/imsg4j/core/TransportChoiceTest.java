package io.github.imsg4j.core;

import io.github.imsg4j.core.internal.SocketLayer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which socket layer the tests of this run use, said once on the console: the FFM transport wherever the JDK
 * has the foreign-function API (22+) and it was built in, junixsocket on Java 17-21 or when the system property
 * {@code imsg4j.transport=junixsocket} forces it. CI runs the whole suite both ways on its JDK 25.
 */
class TransportChoiceTest {

	@Test
	void theTransportIsTheOneThisJdkAndThePropertyCallFor() {
		String forced = System.getProperty(SocketLayer.PROPERTY);
		String name = SocketLayer.get().name();
		System.out.println("imsg4j transport for this run: " + name + " (Java " + Runtime.version().feature()
				+ ((forced != null) ? ", " + SocketLayer.PROPERTY + "=" + forced : "") + ")");
		if (forced != null) {
			assertThat(name).isEqualTo(forced);
		}
		else if (Runtime.version().feature() >= 22) {
			assertThat(name).as("the FFM transport is the default where the JDK has it").isEqualTo("ffm");
		}
		else {
			assertThat(name).isEqualTo("junixsocket");
			Assumptions.abort("the FFM transport needs Java 22 or later: this run (Java " + Runtime.version().feature()
					+ ") tests the junixsocket transport only");
		}
	}
}
