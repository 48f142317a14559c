package io.github.imsg4j.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints one console line per test class that skipped tests, with the reasons (an assumption's message, or
 * {@code @Disabled}'s): surefire's summary counts skips but only its XML says why, and the README promises that
 * a test that needs what is absent says so. Registered for every module's tests through the core's test jar
 * ({@code META-INF/services}).
 */
public final class SkipReasons implements TestExecutionListener {

	/** Reasons by test class, in the order the classes ran; one test class runs at a time here. */
	private final Map<String, Set<String>> reasons = new LinkedHashMap<>();

	@Override
	public void executionSkipped(TestIdentifier test, String reason) {
		record(test, reason);
		// a class skipped whole never finishes: said now
		test.getSource().filter(ClassSource.class::isInstance)
			.ifPresent((s) -> print(((ClassSource) s).getClassName()));
	}

	@Override
	public void executionFinished(TestIdentifier test, TestExecutionResult result) {
		if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
			record(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
		}
		Optional<String> finishedClass = test.getSource().filter(ClassSource.class::isInstance)
			.map((s) -> ((ClassSource) s).getClassName());
		finishedClass.ifPresent(this::print);
	}

	private void print(String className) {
		Set<String> why = this.reasons.remove(className);
		if (why != null) {
			String simple = className.substring(className.lastIndexOf('.') + 1);
			System.out.println("[SKIPPED] " + simple + ": " + String.join("; ", why));
		}
	}

	private void record(TestIdentifier test, String reason) {
		String owner = test.getSource().map((s) -> (s instanceof MethodSource m) ? m.getClassName()
				: (s instanceof ClassSource c) ? c.getClassName() : null).orElse(null);
		if (owner == null) {
			return;
		}
		String why = reason.replaceFirst("^Assumption failed: ", "").replaceFirst("^assumption is not true$", "")
			.strip();
		this.reasons.computeIfAbsent(owner, (k) -> new TreeSet<>()).add(why.isEmpty() ? "an assumption failed" : why);
	}
}
