package io.github.imsg4j.core;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A server for tests that need it in another process (e.g. under a lowered {@code ulimit -n}): answers type 1
 * with type 2 and the same payload, closes any descriptor it receives, and runs until killed.
 */
public final class EchoServerMain {

	private EchoServerMain() {
	}

	/**
	 * @param args the socket path
	 * @throws InterruptedException never, in practice
	 */
	public static void main(String[] args) throws InterruptedException {
		ChannelOptions options = ChannelOptions.defaults().withFdPassing(true);
		try (ImsgServer server = ImsgServer.listen(Path.of(args[0]), options, (peer) -> (channel, m) -> {
			try (m) {
				if (m.type() == 1) {
					channel.compose(2, m.peerId(), 0, null, m.payload());
				}
			}
		})) {
			// Like any running application, it has served and logged before trouble starts, so the classes of those
			// paths are loaded (from a class directory, loading one later needs a free descriptor).
			try (ImsgChannel self = ImsgChannel.connect(server.path(), options)) {
				self.compose(1, 0, 0, OutboundFd.openReadOnly(Path.of("/dev/null")), java.nio.ByteBuffer.allocate(1));
				self.receive(java.time.Duration.ofSeconds(10)).close();
			}
			System.getLogger(EchoServerMain.class.getName()).log(System.Logger.Level.INFO, "listening on " + server.path());
			System.out.println("listening path=" + server.path());
			System.out.flush();
			new CountDownLatch(1).await();
		}
	}
}
