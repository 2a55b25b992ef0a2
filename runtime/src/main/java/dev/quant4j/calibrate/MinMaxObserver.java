package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;

/**
 * {@link ActivationCalibration#MIN_MAX}: the smallest and largest value ever observed; the threshold is
 * {@code max(|min|, |max|)}. Merges exactly (min of mins, max of maxes), in any order.
 */
public final class MinMaxObserver implements ActivationObserver {
    private static final long serialVersionUID = 1L;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;

    @Override
    public ActivationCalibration method() {
        return ActivationCalibration.MIN_MAX;
    }

    @Override
    public void observe(float[] x, int from, int to) {
        ActivationObserver.checkFinite(x, from, to);
        for (int i = from; i < to; i++) {
            min = Math.min(min, x[i]);
            max = Math.max(max, x[i]);
        }
    }

    @Override
    public boolean hasObserved() {
        return min <= max;
    }

    /** The smallest value seen; {@code +Infinity} before any. */
    public float min() {
        return min;
    }

    /** The largest value seen; {@code -Infinity} before any. */
    public float max() {
        return max;
    }

    @Override
    public float threshold() {
        return hasObserved() ? Math.max(Math.abs(min), Math.abs(max)) : 0f;
    }

    @Override
    public void merge(ActivationObserver other) {
        if (!(other instanceof MinMaxObserver o)) {
            throw new IllegalArgumentException("a MIN_MAX observer cannot merge a " + other.method() + " observer");
        }
        min = Math.min(min, o.min);
        max = Math.max(max, o.max);
    }
}
