package io.github.imsg4j.spring.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@code @SpringBootTest} class: every configured {@code imsg.endpoints.<name>.path} is replaced by a socket
 * in a fresh private ({@code 0700}) temporary directory, so that tests neither need the configured directory nor
 * collide with a running daemon or with each other. {@link ImsgTestClient#connect} finds the paths through the
 * application's endpoint registry.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface AutoConfigureImsgTestSockets {
}
