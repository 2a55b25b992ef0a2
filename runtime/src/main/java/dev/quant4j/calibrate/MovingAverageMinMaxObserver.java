package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;

/**
 * {@link ActivationCalibration#MOVING_AVERAGE_MIN_MAX}, PyTorch's {@code MovingAverageMinMaxObserver}: the
 * first batch sets {@code min} and {@code max} to its own; each later batch moves them toward its own by the
 * averaging constant {@code c}: {@code min = min + c * (batchMin - min)} (and so for max), in float32.
 * The threshold is {@code max(|min|, |max|)}.
 *
 * <p>Does not merge: the average depends on the order of the batches, and two averages over separate
 * streams are not the average over their concatenation, so {@link #merge} refuses. Calibrate on one thread,
 * or use {@link ActivationCalibration#MIN_MAX} or a histogram method to calibrate in parallel.
 */
public final class MovingAverageMinMaxObserver implements ActivationObserver {
    private static final long serialVersionUID = 1L;
    /** PyTorch's {@code averaging_constant} default. */
    public static final float DEFAULT_AVERAGING_CONSTANT = 0.01f;

    private final float averagingConstant;
    private float min;
    private float max;
    private boolean seen;

    /** With PyTorch's constant, 0.01. */
    public MovingAverageMinMaxObserver() {
        this(DEFAULT_AVERAGING_CONSTANT);
    }

    /** @param averagingConstant in {@code (0, 1]}; 1 keeps only the last batch's range */
    public MovingAverageMinMaxObserver(float averagingConstant) {
        if (!(averagingConstant > 0f && averagingConstant <= 1f)) {
            throw new IllegalArgumentException("the averaging constant must be in (0, 1], got " + averagingConstant);
        }
        this.averagingConstant = averagingConstant;
    }

    @Override
    public ActivationCalibration method() {
        return ActivationCalibration.MOVING_AVERAGE_MIN_MAX;
    }

    public float averagingConstant() {
        return averagingConstant;
    }

    @Override
    public void observe(float[] x, int from, int to) {
        ActivationObserver.checkFinite(x, from, to);
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
        } else {
            min = min + averagingConstant * (lo - min);
            max = max + averagingConstant * (hi - max);
        }
    }

    @Override
    public boolean hasObserved() {
        return seen;
    }

    public float min() {
        return min;
    }

    public float max() {
        return max;
    }

    @Override
    public float threshold() {
        return seen ? Math.max(Math.abs(min), Math.abs(max)) : 0f;
    }

    /** Always refuses: a moving average over batches does not merge (see the class comment). */
    @Override
    public void merge(ActivationObserver other) {
        throw new UnsupportedOperationException("MOVING_AVERAGE_MIN_MAX observers do not merge: the average depends"
                + " on the order of the batches; calibrate on one thread, or use MIN_MAX, PERCENTILE or ENTROPY");
    }
}
