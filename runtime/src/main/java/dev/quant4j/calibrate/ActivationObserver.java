package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;

/**
 * Records what one linear layer's input activations are on calibration data (the "calibrate" step of
 * prepare -> calibrate -> convert) and freezes them into one symmetric int8 scale per tensor. Each method's
 * exact rule is in docs/NUMERICS.md ("Calibrating static activations"); {@link ActivationObservers#create}
 * makes the observer for a scheme's {@link ActivationCalibration}.
 *
 * <p>Not thread-safe: give each thread its own observer and {@link #merge} them. MinMax, percentile and
 * entropy merge exactly ({@code a.merge(b)} equals one observer that saw a's values then b's); moving-average
 * MinMax does not merge (an average over batches depends on their order) and refuses. Serializable, so
 * observers filled on several machines can be merged where they meet.
 */
public sealed interface ActivationObserver extends java.io.Serializable permits RangeObserver, HistogramObserver {

    /** The method this observer implements. */
    ActivationCalibration method();

    /**
     * Folds in one batch, {@code x[from, to)} (e.g. all tokens of one sentence, row-major). An empty range
     * changes nothing.
     *
     * @throws IllegalArgumentException for a NaN or infinite value, naming its index
     */
    void observe(float[] x, int from, int to);

    /** True once a nonempty batch was observed. */
    boolean hasObserved();

    /**
     * The clipping threshold {@code T >= 0} the method chose: activations are quantized as if
     * {@code |x| <= T}. 0 before any batch and for all-zero data.
     */
    float threshold();

    /**
     * Folds {@code other}'s observations into this one, as if this observer had seen them after its own.
     *
     * @throws IllegalArgumentException      if {@code other} is of another method or configuration
     * @throws UnsupportedOperationException for moving-average MinMax, whose result depends on batch order
     */
    void merge(ActivationObserver other);

    /**
     * The frozen int8 scale: {@link #scaleOf} of {@link #threshold()}.
     */
    default float scale() {
        return scaleOf(threshold());
    }

    /**
     * The symmetric int8 scale of a threshold, the contract's Q8S raw scale with F32 params: {@code T / 127}
     * in float32; 0 for {@code T = 0}; the smallest float32 when {@code T > 0} but the quotient underflows
     * (as the dynamic activation rule in docs/NUMERICS.md).
     */
    static float scaleOf(float threshold) {
        if (!(threshold >= 0) || Float.isInfinite(threshold)) {
            throw new IllegalArgumentException("an activation threshold must be finite and >= 0, got " + threshold);
        }
        return QuantRules.rawScale(threshold, QuantValue.Q8S);
    }

    /** The finiteness check every observer applies first: the error names the index. */
    static void checkFinite(float[] x, int from, int to) {
        java.util.Objects.checkFromToIndex(from, to, x.length);
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("calibration activations hold " + x[i] + " at index " + i
                        + "; observers need finite values: check the layer that produced them");
            }
        }
    }
}
