/**
 * The demo daemon: a privilege-separation helper that opens files on behalf of its peers and hands them the
 * descriptor, built only on the imsg4j starter.
 */
@NullMarked
package io.github.imsg4j.demo;

import org.jspecify.annotations.NullMarked;
