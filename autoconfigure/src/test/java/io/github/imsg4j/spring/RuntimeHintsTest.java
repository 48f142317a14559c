package io.github.imsg4j.spring;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.annotation.ReflectiveRuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Spring's AOT engine keeps for a handler bean: the handler methods for invocation, and the
 * {@code @ImsgStruct} records they take and return (nested ones and those behind a {@code CompletableFuture}
 * included), with the constructor and accessors {@link StructCodec} uses. Records that are no struct are left
 * alone.
 */
class RuntimeHintsTest {

	@ImsgStruct
	record Point(int x, int y) {
	}

	@ImsgStruct
	record Segment(Point from, Point to) {
	}

	@ImsgStruct
	record Length(long squared) {
	}

	record NotAStruct(int x) {
	}

	static class Handlers {

		@ImsgHandler(type = 1, replyType = 2)
		Length length(Segment s) {
			long dx = s.to().x() - s.from().x();
			long dy = s.to().y() - s.from().y();
			return new Length(dx * dx + dy * dy);
		}

		@ImsgHandler(type = 3)
		CompletableFuture<Point> later(NotAStruct n) {
			return CompletableFuture.completedFuture(new Point(n.x(), n.x()));
		}
	}

	@Test
	void handlerMethodsAndTheirStructsAreKept() {
		RuntimeHints hints = new RuntimeHints();
		new ReflectiveRuntimeHintsRegistrar().registerRuntimeHints(hints, Handlers.class);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Handlers.class, "length")).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Handlers.class, "later")).accepts(hints);
		for (Class<?> struct : new Class<?>[] { Segment.class, Point.class, Length.class }) {
			assertThat(RuntimeHintsPredicates.reflection()
				.onType(struct)
				.withMemberCategories(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS, MemberCategory.INVOKE_PUBLIC_METHODS))
				.as("%s", struct.getSimpleName())
				.accepts(hints);
		}
		assertThat(RuntimeHintsPredicates.reflection().onType(NotAStruct.class)).rejects(hints);
	}

	@Test
	void aStructFoundByReflectiveScanIsKept() {
		RuntimeHints hints = new RuntimeHints();
		new ReflectiveRuntimeHintsRegistrar().registerRuntimeHints(hints, Segment.class);
		assertThat(RuntimeHintsPredicates.reflection()
			.onType(Point.class)
			.withMemberCategory(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS)).accepts(hints);
	}
}
