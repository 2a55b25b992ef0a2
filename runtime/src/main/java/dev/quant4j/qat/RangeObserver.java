package dev.quant4j.qat;

import dev.quant4j.annotations.ActivationCalibration;

/**
 * Records the range of the activations a layer sees during training, for static activation quantization:
 * {@link ActivationCalibration#MIN_MAX} keeps the smallest and largest value ever seen;
 * {@link ActivationCalibration#MOVING_AVERAGE_MIN_MAX} (PyTorch's QAT default,
 * {@code MovingAverageMinMaxObserver}) starts at the first batch's minimum and maximum and then moves them
 * toward each batch's by the averaging constant: {@code min += c * (batchMin - min)}, in float32, with
 * {@code c = 0.01}.
 *
 * <p>The scale is the contract's Q8S rule on the symmetric range: {@code amax = max(|min|, |max|)},
 * {@code s = amax / 127} in float32 (F32 param: no rounding), 0 while nothing nonzero was seen.
 */
public final class RangeObserver {
    /** PyTorch's {@code averaging_constant} default. */
    public static final float AVERAGING_CONSTANT = 0.01f;

    private final ActivationCalibration method;
    private float min;
    private float max;
    private boolean seen;

    /**
     * @throws IllegalArgumentException for a method that needs a histogram (PERCENTILE, ENTROPY) or NONE
     */
    public RangeObserver(ActivationCalibration method) {
        if (method != ActivationCalibration.MIN_MAX && method != ActivationCalibration.MOVING_AVERAGE_MIN_MAX) {
            throw new IllegalArgumentException("quantization-aware training observes activation ranges with MIN_MAX"
                    + " or MOVING_AVERAGE_MIN_MAX, not " + method + "; set activationCalibration to one of those"
                    + " (PyTorch's QAT default is MOVING_AVERAGE_MIN_MAX)");
        }
        this.method = method;
    }

    public ActivationCalibration method() {
        return method;
    }

    /** Folds in the range of {@code x[from, to)}; the values must be finite. An empty range changes nothing. */
    public void observe(float[] x, int from, int to) {
        if (from >= to) {
            return;
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            lo = Math.min(lo, x[i]);
            hi = Math.max(hi, x[i]);
        }
        if (!seen) {
            min = lo;
            max = hi;
            seen = true;
        } else if (method == ActivationCalibration.MIN_MAX) {
            min = Math.min(min, lo);
            max = Math.max(max, hi);
        } else {
            min = min + AVERAGING_CONSTANT * (lo - min);
            max = max + AVERAGING_CONSTANT * (hi - max);
        }
    }

    /** True once a batch was observed. */
    public boolean hasObserved() {
        return seen;
    }

    public float min() {
        return min;
    }

    public float max() {
        return max;
    }

    /** The int8 scale of the observed range; 0 before any batch or for an all-zero range. */
    public float scale() {
        float amax = Math.max(Math.abs(min), Math.abs(max));
        return ActivationFakeQuantizer.q8Scale(amax);
    }
}
