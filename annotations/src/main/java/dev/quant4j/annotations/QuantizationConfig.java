package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares named schemes: every {@code static final String} constant of the annotated class is a
 * scheme in text form, and its name is one that {@link Quantize#scheme()} can use. The processor
 * checks each constant (a constant that is not valid scheme text is a compile error) and each
 * reference. A name is looked up in the configs nested in the model class or a class around it and
 * in the top-level configs of the model's package; it may be qualified ({@code "Schemes.ATTENTION"}).
 * Referencing the constant itself ({@code scheme = Schemes.ATTENTION}) lets javac check the name.
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
public @interface QuantizationConfig {}
