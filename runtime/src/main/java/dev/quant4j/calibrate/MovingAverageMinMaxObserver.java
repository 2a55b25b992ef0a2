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
public final class MovingAverageMinMaxObserver extends RangeObserver {
    private static final long serialVersionUID = 1L;
    /** PyTorch's {@code averaging_constant} default. */
    public static final float DEFAULT_AVERAGING_CONSTANT = 0.01f;

    private final float averagingConstant;

    /** With PyTorch's constant, 0.01. */
    public MovingAverageMinMaxObserver() {
        this(DEFAULT_AVERAGING_CONSTANT);
    }

    /** @param averagingConstant in {@code (0, 1]}; 1 keeps only the last batch's range */
    public MovingAverageMinMaxObserver(float averagingConstant) {
        super(0f, 0f);
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
    void fold(float lo, float hi) {
        min = min + averagingConstant * (lo - min);
        max = max + averagingConstant * (hi - max);
    }

    /** Always refuses: a moving average over batches does not merge (see the class comment). */
    @Override
    public void merge(ActivationObserver other) {
        throw new UnsupportedOperationException("MOVING_AVERAGE_MIN_MAX observers do not merge: the average depends"
                + " on the order of the batches; calibrate on one thread, or use MIN_MAX, PERCENTILE or ENTROPY");
    }
}
