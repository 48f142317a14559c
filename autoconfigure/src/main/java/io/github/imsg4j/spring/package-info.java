/**
 * imsg in Spring applications: {@link io.github.imsg4j.spring.ImsgHandler} methods, sessions, the
 * {@link io.github.imsg4j.spring.ImsgTemplate}, payload codecs, peer authorization and the endpoint registry
 * that runs it all.
 */
@NullMarked
package io.github.imsg4j.spring;

import org.jspecify.annotations.NullMarked;
