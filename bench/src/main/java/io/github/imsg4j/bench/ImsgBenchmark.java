package io.github.imsg4j.bench;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.WireFormat;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** What every imsg4j benchmark shares: messages per second, one fork, both wire generations, 64-byte payloads. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public abstract class ImsgBenchmark {

	@Param({ "current", "classic" })
	public String wire;

	@Param({ "64" })
	public int size;

	WireFormat wireFormat() {
		return WireFormat.valueOf(this.wire.toUpperCase(Locale.ROOT));
	}
}
