package io.github.imsg4j.spring;

import java.util.concurrent.Executor;

import org.jspecify.annotations.Nullable;

/**
 * What every session of an application shares. The dispatcher arrives once all singletons exist and the
 * handlers are routed, which is before any endpoint starts.
 */
final class SessionContext {

	private final ImsgCodecs codecs;

	private final ImsgMetrics metrics;

	private final Executor executor;

	private volatile @Nullable ImsgDispatcher dispatcher;

	SessionContext(ImsgCodecs codecs, ImsgMetrics metrics, Executor executor) {
		this.codecs = codecs;
		this.metrics = metrics;
		this.executor = executor;
	}

	ImsgCodecs codecs() {
		return this.codecs;
	}

	ImsgMetrics metrics() {
		return this.metrics;
	}

	Executor executor() {
		return this.executor;
	}

	ImsgDispatcher dispatcher() {
		ImsgDispatcher d = this.dispatcher;
		if (d == null) {
			throw new IllegalStateException("imsg handlers are not routed yet");
		}
		return d;
	}

	void setDispatcher(ImsgDispatcher dispatcher) {
		this.dispatcher = dispatcher;
	}
}
