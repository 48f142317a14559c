/**
 * Testing applications built on the imsg starter: {@link io.github.imsg4j.spring.test.AutoConfigureImsgTestSockets}
 * puts every endpoint's socket in a private temporary directory, {@link io.github.imsg4j.spring.test.ImsgTestClient}
 * talks to an endpoint in one line per exchange, and {@link io.github.imsg4j.spring.test.FakeImsgDaemon} stands in
 * for the daemon an {@code imsg.clients} client connects to.
 */
@NullMarked
package io.github.imsg4j.spring.test;

import org.jspecify.annotations.NullMarked;
