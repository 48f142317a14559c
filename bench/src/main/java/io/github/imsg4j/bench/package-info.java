/**
 * Benchmarks: JMH measurements of the send, receive and dispatch paths, and a bench-protocol server built on the
 * starter's {@code @ImsgHandler}, to compare the Spring layer with the core on the same workloads.
 */
@NullMarked
package io.github.imsg4j.bench;

import org.jspecify.annotations.NullMarked;
