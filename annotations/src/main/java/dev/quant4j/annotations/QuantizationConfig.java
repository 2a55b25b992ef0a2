package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares named schemes: every {@code static final String} constant of the annotated class
 * whose value is a scheme in text form becomes a name that {@link Quantize#scheme()} can use.
 * The processor checks each constant and each reference at compile time.
 *
 * <pre>{@code
 * @QuantizationConfig
 * final class Schemes {
 *     static final String ATTENTION = "q4f:block32:f16:u32";
 *     static final String EMBEDDING = "q8s:block32:f16";
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface QuantizationConfig {
}
