package dev.quant4j.model;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.Gptq;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.ScaleSearch;
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

    /**
     * Each field with its annotated scheme, by the given kernels (e.g. {@link Kernels#scalar()}); a
     * data-free search (MSE) where the scheme asks for one.
     */
    static WeightQuantizer kernels(QuantKernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        return (path, weights, scheme) -> ScaleSearch.quantize(kernels, path, weights, scheme, null);
    }

    /**
     * Each field with the calibration its scheme names, for {@link Quantization#quantizeWeights}: each field with
     * {@code scheme} (or, when it is null, its annotated scheme), IMATRIX weighted by the field's entry in
     * {@code statistics}. A field that has no entry (an embedding table multiplies no input, so a recording
     * has none for it) is searched unweighted, with MSE, and its result says so. GPTQ runs {@link Gptq} on
     * fields that have second moments and are matrices; others fall back to IMATRIX (then MSE) likewise.
     */
    static WeightQuantizer calibrated(QuantKernels kernels, QuantScheme scheme, InputStatistics statistics) {
        Objects.requireNonNull(kernels, "kernels");
        return (path, weights, annotated) -> {
            QuantScheme s = scheme != null ? scheme : annotated;
            float[] importance = statistics == null ? null : statistics.meanSquares(path);
            if (s.calibration() == Calibration.GPTQ) {
                if (statistics != null && statistics.hasSecondMoments(path) && weights.rank() == 2) {
                    return Gptq.quantize(kernels, path, weights, s, statistics);
                }
                s = s.withCalibration(Calibration.IMATRIX);
            }
            if (s.calibration() == Calibration.IMATRIX && importance == null) {
                s = s.withCalibration(Calibration.MSE);
            }
            return ScaleSearch.quantize(kernels, path, weights, s, importance);
        };
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
