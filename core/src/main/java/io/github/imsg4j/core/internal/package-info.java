/**
 * Implementation of the core: the socket layer behind a small interface (junixsocket here, FFM in {@code ffm}),
 * event loops, the frame decoder that matches received file descriptors to messages, and the segmented write
 * queue. Not API.
 */
@NullMarked
package io.github.imsg4j.core.internal;

import org.jspecify.annotations.NullMarked;
