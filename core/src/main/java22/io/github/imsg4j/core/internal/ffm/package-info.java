/**
 * The core's code on the foreign-function API (Java 22+): the socket transport of our own ({@link
 * io.github.imsg4j.core.internal.ffm.FfmSocketLayer}: system calls in {@code Posix}, {@code epoll} in
 * {@code EpollPoller}) and {@code posix_spawn} of child processes. Built only on a JDK >= 22 and loaded only after
 * the running JDK was checked; not API.
 */
@NullMarked
package io.github.imsg4j.core.internal.ffm;

import org.jspecify.annotations.NullMarked;
