package io.github.imsg4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The fixed length of a {@code byte[]} or {@code String} member of an {@link ImsgStruct} record. */
@Target({ ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ImsgField {

	/**
	 * @return the member's size in bytes; a String must leave room for its terminating NUL
	 */
	int length();
}
