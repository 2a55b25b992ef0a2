package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a weight field to be quantized. The defaults are Burn's: Q8S, per tensor, U32 store,
 * F32 scales, symmetric, min-max calibration. Attributes left at their default take the value
 * from the enclosing class's {@link QuantizeDefaults}, if any.
 *
 * <p>{@link #scheme()} names a scheme declared once in a {@link QuantizationConfig} class (or
 * written in the text form, e.g. {@code "q4f:block32:f16:u32"}); it cannot be combined with
 * the per-attribute settings.
 *
 * <p>Retention is RUNTIME so that the Java agent can find the fields when it rewrites reads.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Quantize {
    /** The quantized value type. */
    QuantValue value() default QuantValue.Q8S;

    /** Per tensor or per block. */
    QuantLevel level() default QuantLevel.TENSOR;

    /** Block extents, right-aligned to the tensor's trailing dimensions (1 to 5 of them). */
    int[] blockSize() default {32};

    /** How codes are stored. */
    QuantStore store() default QuantStore.U32;

    /** The type of the scales. */
    QuantParam param() default QuantParam.F32;

    /** Quantization mode. */
    QuantMode mode() default QuantMode.SYMMETRIC;

    /** Range calibration. */
    Calibration calibration() default Calibration.MIN_MAX;

    /** A named scheme (see {@link QuantizationConfig}) or a scheme in text form; empty for none. */
    String scheme() default "";
}
