/**
 * The {@code imsg4j} command: {@code cat} (a netcat for imsg), {@code proxy} (a logging man-in-the-middle) and
 * {@code bench} (the bench protocol of {@code ../shared/bench-protocol.md}).
 */
@NullMarked
package io.github.imsg4j.cli;

import org.jspecify.annotations.NullMarked;
