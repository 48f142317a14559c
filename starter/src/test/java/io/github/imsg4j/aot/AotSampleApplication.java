package io.github.imsg4j.aot;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.github.imsg4j.spring.ImsgHandler;
import io.github.imsg4j.spring.ImsgStruct;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/**
 * A handler application as a user writes one, for {@link AotSampleApplicationTest}: a C struct in, a struct
 * out (nested), and a received descriptor read.
 */
@SpringBootApplication
public class AotSampleApplication {

	/** {@code struct point { int32_t x, y; }}. */
	@ImsgStruct
	public record Point(int x, int y) {
	}

	/** {@code struct segment { struct point from, to; }}. */
	@ImsgStruct
	public record Segment(Point from, Point to) {
	}

	/** {@code struct answer { int64_t squared_length; struct point middle; }}. */
	@ImsgStruct
	public record Answer(long squaredLength, Point middle) {
	}

	/** The handlers. */
	@Component
	static class Handlers {

		@ImsgHandler(type = 1, replyType = 2)
		Answer measure(Segment s) {
			long dx = s.to().x() - s.from().x();
			long dy = s.to().y() - s.from().y();
			return new Answer(dx * dx + dy * dy, new Point((s.from().x() + s.to().x()) / 2, (s.from().y() + s.to().y()) / 2));
		}

		@ImsgHandler(type = 3, replyType = 4)
		String firstLine(FileDescriptor fd) throws IOException {
			try (FileInputStream in = new FileInputStream(fd)) {
				String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
				return text.lines().findFirst().orElse("");
			}
		}
	}

	public static void main(String[] args) {
		SpringApplication.run(AotSampleApplication.class, args);
	}
}
