package dev.quant4j.calibrate;

/**
 * What {@link MinMaxObserver} and {@link MovingAverageMinMaxObserver} share: each batch's smallest and largest
 * value, found here; the first batch sets the range, and each subclass folds a later batch's range into its own
 * ({@link #fold}). The threshold is {@code max(|min|, |max|)}, 0 before any batch.
 */
public abstract sealed class RangeObserver implements ActivationObserver
        permits MinMaxObserver, MovingAverageMinMaxObserver {
    private static final long serialVersionUID = 1L;
    float min;
    float max;
    private boolean seen;

    /** @param min what {@link #min()} answers before any batch (and {@code max} for {@link #max()}) */
    RangeObserver(float min, float max) {
        this.min = min;
        this.max = max;
    }

    @Override
    public final void observe(float[] x, int from, int to) {
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
        include(lo, hi);
    }

    /** Takes in one batch's range {@code [lo, hi]}: the first sets the range, later ones are {@link #fold}ed. */
    final void include(float lo, float hi) {
        if (seen) {
            fold(lo, hi);
        } else {
            min = lo;
            max = hi;
            seen = true;
        }
    }

    /** Folds a later batch's range {@code [lo, hi]} into {@link #min} and {@link #max}. */
    abstract void fold(float lo, float hi);

    @Override
    public final boolean hasObserved() {
        return seen;
    }

    /** The smallest value seen; before any batch, the value the subclass documents. */
    public final float min() {
        return min;
    }

    /** The largest value seen; before any batch, the value the subclass documents. */
    public final float max() {
        return max;
    }

    @Override
    public final float threshold() {
        return seen ? Math.max(Math.abs(min), Math.abs(max)) : 0f;
    }
}
