package io.github.imsg4j.core;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker its parent confined ({@link ConfinementTest}), as an attacker who took it over would act: on a type 1
 * message carrying a descriptor it reads the file through that descriptor (allowed: the parent opened it), then
 * tries what its sandbox forbids, and answers type 2 with the file's text and one letter per attempt,
 * {@code D} denied or {@code A} allowed: read a file its user may read ({@code args[0]}), write outside its
 * directory ({@code args[1]}), write inside it ({@code args[2]}, allowed), execute {@code /bin/true}, connect to
 * TCP port {@code args[3]} on 127.0.0.1. The descriptor goes back with the answer: passed on, as a worker does.
 */
public final class ConfinedWorker {

	private ConfinedWorker() {
	}

	public static void main(String[] args) throws Exception {
		ImsgChannel parent = ImsgChannel.fromParent(3, ChannelOptions.defaults().withFdPassing(true), null);
		try (Imsg m = parent.receive(java.time.Duration.ofSeconds(60))) {
			FileDescriptor fd = m.takeFd();
			String text = new String(new FileInputStream(fd).readAllBytes(), StandardCharsets.UTF_8);
			StringBuilder out = new StringBuilder(text).append('|');
			out.append(attempt(() -> Files.readString(Path.of(args[0]))));
			out.append(attempt(() -> Files.writeString(Path.of(args[1]), "x")));
			out.append(attempt(() -> Files.writeString(Path.of(args[2]), "x")));
			out.append(attempt(() -> {
				if (new ProcessBuilder("/bin/true").start().waitFor() != 0) {
					throw new IllegalStateException("ran, failed");
				}
			}));
			out.append(attempt(() -> {
				try (Socket s = new Socket()) {
					s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[3])), 5000);
				}
			}));
			parent.compose(2, 0, 0, OutboundFd.transfer(fd),
					java.nio.ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8)));
		}
		parent.close();
	}

	private interface Attempt {

		void run() throws Exception;
	}

	private static char attempt(Attempt a) {
		try {
			a.run();
			return 'A';
		}
		catch (Exception ex) {
			System.err.println("confined worker: refused as expected? " + ex);
			return 'D';
		}
	}
}
