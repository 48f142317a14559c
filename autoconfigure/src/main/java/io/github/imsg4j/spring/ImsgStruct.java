package io.github.imsg4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Declares a record as a fixed-layout C struct, so that it can be a handler parameter or return value without
 * writing a codec. Components map to C members in declaration order: {@code byte}/{@code boolean} (1 byte),
 * {@code short}/{@code char} (2), {@code int}/{@code float} (4), {@code long}/{@code double} (8), {@code byte[]}
 * and {@code String} with {@link ImsgField#length()} ({@code uint8_t x[N]}, {@code char name[N]} padded with
 * NULs), and nested {@code @ImsgStruct} records. Unless {@link #packed()}, members are aligned as a C compiler
 * on Linux aligns them (each to its size, the struct to its largest member, with tail padding), so
 * {@code sizeof} matches. A payload of any other size is rejected.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(ImsgReflectiveProcessor.class)
public @interface ImsgStruct {

	/**
	 * @return the byte order of multi-byte members: host order (imsg's own headers, most structs) or network
	 */
	Order order() default Order.HOST;

	/**
	 * @return whether the struct is {@code __attribute__((packed))}: no padding at all
	 */
	boolean packed() default false;

	/** Byte order of a struct's members. */
	enum Order {
		/** This machine's order, as C code on the same machine writes it. */
		HOST,
		/** Big-endian, as {@code htonl(3)} writes it. */
		NETWORK
	}
}
