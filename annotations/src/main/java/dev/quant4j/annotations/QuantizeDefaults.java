package dev.quant4j.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Class-level defaults for the {@link Quantize} fields of a model class. A field's own
 * non-default attribute wins over these. Each attribute means what the {@link Quantize} attribute of the
 * same name means and has the same default (Burn's; the int and text defaults are {@link Quantize}'s
 * constants, and a test pins the enum ones to the scheme module's {@code QuantScheme.DEFAULT}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface QuantizeDefaults {
    QuantValue value() default QuantValue.Q8S;

    QuantLevel level() default QuantLevel.TENSOR;

    int[] blockSize() default {Quantize.DEFAULT_BLOCK_EXTENT};

    QuantStore store() default QuantStore.U32;

    QuantParam param() default QuantParam.F32;

    QuantMode mode() default QuantMode.SYMMETRIC;

    Calibration calibration() default Calibration.MIN_MAX;

    /** A named scheme or a scheme in text form used as the default; empty for none. */
    String scheme() default Quantize.NO_SCHEME;

    ActivationMode activations() default ActivationMode.NONE;

    ActivationCalibration activationCalibration() default ActivationCalibration.NONE;
}
