/**
 * OpenBSD's imsg protocol on the JVM, without Spring: wire formats, received messages and their file
 * descriptors, payload readers and writers, and channels over UNIX stream sockets.
 *
 * <p>Start with {@link io.github.imsg4j.core.ImsgChannel#connect}, {@link io.github.imsg4j.core.ImsgServer#listen}
 * or {@link io.github.imsg4j.core.ImsgChannel#pair}.
 */
@NullMarked
package io.github.imsg4j.core;

import org.jspecify.annotations.NullMarked;
