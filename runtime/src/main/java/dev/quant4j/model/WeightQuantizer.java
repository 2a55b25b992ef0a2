package dev.quant4j.model;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

import java.util.Objects;

/**
 * Quantizes one weight field's values. {@link Quantization#quantizeWeights(Object, WeightQuantizer)} calls
 * it once per {@code @Quantize} field with the field's path and its annotated scheme.
 */
@FunctionalInterface
public interface WeightQuantizer {
    /**
     * Quantizes {@code weights}.
     *
     * @param path   the field's path, to name in errors
     * @param scheme the field's annotated scheme
     * @return the quantized tensor, of the same shape as {@code weights}
     */
    QuantizedTensor quantize(String path, FloatTensor weights, QuantScheme scheme);

    /** Each field with its annotated scheme, by the active kernels (SIMD where available). */
    static WeightQuantizer standard() {
        return kernels(Kernels.active());
    }

    /** Each field with its annotated scheme, by the given kernels (e.g. {@link Kernels#scalar()}). */
    static WeightQuantizer kernels(QuantKernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        return kernels::quantize;
    }

    /**
     * Every field with {@code quantizer}'s one scheme, ignoring the annotated schemes: Burn's
     * {@code model.quantize_weights(&mut quantizer)}.
     */
    static WeightQuantizer uniform(Quantizer quantizer) {
        Objects.requireNonNull(quantizer, "quantizer");
        return (path, weights, scheme) -> quantizer.quantize(path, weights);
    }
}
