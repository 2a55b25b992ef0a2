package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a weight field to be quantized. The defaults are Burn's: Q8S, per tensor, U32 store,
 * F32 scales, symmetric, min-max calibration, and float32 activations. Attributes left at their
 * default take the value from the enclosing class's {@link QuantizeDefaults}, if any.
 *
 * <p>{@link #scheme()} names a scheme declared once in a {@link QuantizationConfig} class (or
 * written in the text form, e.g. {@code "q4f:block32:f16:u32"}); it cannot be combined with
 * the per-attribute weight settings, but it can with {@link #activations()}, so that one named
 * weight scheme serves layers whose activations differ.
 *
 * <p>Retention is RUNTIME so that the Java agent can find the fields when it rewrites reads.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Quantize {
    /**
     * The block extent of {@link #blockSize()} when none is given, here and in {@link QuantizeDefaults}
     * (the scheme module's {@code QuantScheme.DEFAULT_BLOCK_EXTENT} is this constant).
     */
    int DEFAULT_BLOCK_EXTENT = 32;

    /** The {@link #scheme()} default, here and in {@link QuantizeDefaults}: no scheme, the attributes apply. */
    String NO_SCHEME = "";

    /** The quantized value type. */
    QuantValue value() default QuantValue.Q8S;

    /** Per tensor or per block. */
    QuantLevel level() default QuantLevel.TENSOR;

    /** Block extents, right-aligned to the tensor's trailing dimensions (1 to 5 of them). */
    int[] blockSize() default {DEFAULT_BLOCK_EXTENT};

    /** How codes are stored. */
    QuantStore store() default QuantStore.U32;

    /** The type of the scales. */
    QuantParam param() default QuantParam.F32;

    /** Quantization mode. */
    QuantMode mode() default QuantMode.SYMMETRIC;

    /** Range calibration. */
    Calibration calibration() default Calibration.MIN_MAX;

    /** A named scheme (see {@link QuantizationConfig}) or a scheme in text form; empty for none. */
    String scheme() default NO_SCHEME;

    /**
     * How the input activations of the linear layer this weight belongs to are quantized. It may be
     * given with {@link #scheme()}, whose text then must not name activations itself ({@code a8dyn},
     * {@code a8static}).
     */
    ActivationMode activations() default ActivationMode.NONE;

    /** How {@link ActivationMode#STATIC} finds its scales; required with it, not allowed without it. */
    ActivationCalibration activationCalibration() default ActivationCalibration.NONE;
}
