package io.github.imsg4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.github.imsg4j.core.WireFormat;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * The far end of a benchmark's socket, kept as cheap as possible so that the benchmark measures imsg4j alone:
 * a blocking junixsocket channel that writes pre-encoded frames or reads and throws bytes away.
 */
final class RawPeer {

	private RawPeer() {
	}

	/** A fresh socket path in a new temporary directory. */
	static Path socketPath(String name) throws IOException {
		return Files.createTempDirectory("imsg4j-jmh").resolve(name + ".sock");
	}

	/**
	 * Listens at {@code path}, accepts one connection and reads everything from it on a daemon thread.
	 *
	 * @param received counts the bytes read
	 * @return the listening channel, to close at tear-down
	 */
	static AFUNIXServerSocketChannel drain(Path path, AtomicLong received) throws IOException {
		AFUNIXServerSocketChannel server = AFUNIXServerSocketChannel.open();
		server.bind(AFUNIXSocketAddress.of(path));
		Thread t = new Thread(() -> {
			try (AFUNIXSocketChannel peer = server.accept()) {
				ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
				int n;
				while ((n = peer.read(buf.clear())) >= 0) {
					received.addAndGet(n);
				}
			}
			catch (IOException ex) {
				// closed at tear-down
			}
		}, "jmh-drain");
		t.setDaemon(true);
		t.start();
		return server;
	}

	/** {@code count} frames of {@code size} payload bytes, type 1, in {@code wire}'s header, in one direct buffer. */
	static ByteBuffer frames(WireFormat wire, int count, int size) {
		int len = WireFormat.HEADER_SIZE + size;
		ByteBuffer buf = ByteBuffer.allocateDirect(count * len).order(ByteOrder.nativeOrder());
		for (int i = 0; i < count; i++) {
			wire.putHeader(buf, i * len, 1, len, false, 0, 4242);
		}
		return buf;
	}

	/** Writes all of {@code frames} on a blocking channel. */
	static void writeAll(AFUNIXSocketChannel ch, ByteBuffer frames) throws IOException {
		frames.clear();
		while (frames.hasRemaining()) {
			ch.write(frames);
		}
	}
}
