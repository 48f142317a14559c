/**
 * Spring Boot auto-configuration for imsg endpoints and clients declared under {@code imsg.*}.
 */
@NullMarked
package io.github.imsg4j.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
