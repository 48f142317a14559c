package io.github.imsg4j.spring.reliability;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import io.github.imsg4j.core.OpenFds;
import io.github.imsg4j.core.WireFormat;
import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.autoconfigure.ImsgAutoConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends all its requests, then shuts down its sending side ({@code shutdown(SHUT_WR)}) and reads
 * the replies, as {@code printf … | nc -N} does. Every request is answered before the server closes (before,
 * the end of stream closed the connection at once and most replies were lost); with handler threads and
 * inline handlers. The descriptor count is back after each case.
 */
@ExtendWith(OpenFds.class)
class HalfCloseTest {

	@TempDir
	Path dir;

	/** Type 1 is answered with type 2 and the same payload, slowly enough that most are still queued at the end. */
	static class Echo {

		@ImsgHandler(type = 1, replyType = 2)
		ByteBuffer echo(ByteBuffer payload) {
			Thread.onSpinWait();
			return payload;
		}
	}

	@ParameterizedTest(name = "inline handlers: {0}")
	@ValueSource(booleans = { false, true })
	void everyRequestSentBeforeAHalfCloseIsAnswered(boolean inline) {
		Path sock = this.dir.resolve("half.sock");
		int requests = 2000;
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ImsgAutoConfiguration.class))
			.withBean(Echo.class)
			.withPropertyValues("imsg.endpoints.e.path=" + sock, "imsg.handlers.inline=" + inline)
			.run((context) -> {
				try (AFUNIXSocketChannel client = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock))) {
					ByteBuffer out = ByteBuffer.allocate(requests * 20).order(ByteOrder.nativeOrder());
					for (int i = 0; i < requests; i++) {
						WireFormat.CURRENT.putHeader(out, out.position(), 1, 20, false, 0, 0);
						out.position(out.position() + WireFormat.HEADER_SIZE);
						out.putInt(i);
					}
					out.flip();
					while (out.hasRemaining()) {
						client.write(out);
					}
					client.shutdownOutput();
					assertThat(readRepliesUntilEnd(client)).isEqualTo(requests);
				}
			});
	}

	/** Reads replies (type 2, counting 0, 1, 2, … in order) until the server closes; returns how many came. */
	private static int readRepliesUntilEnd(AFUNIXSocketChannel client) throws IOException {
		ByteBuffer in = ByteBuffer.allocate(1 << 16).order(ByteOrder.nativeOrder());
		int replies = 0;
		while (client.read(in) >= 0) {
			in.flip();
			while (in.remaining() >= 20) {
				assertThat(in.getInt(in.position())).as("type").isEqualTo(2);
				assertThat(in.getInt(in.position() + WireFormat.HEADER_SIZE)).as("order").isEqualTo(replies);
				in.position(in.position() + 20);
				replies++;
			}
			in.compact();
		}
		return replies;
	}
}
