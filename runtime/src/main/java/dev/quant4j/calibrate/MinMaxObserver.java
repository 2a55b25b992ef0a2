package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;

/**
 * {@link ActivationCalibration#MIN_MAX}: the smallest and largest value ever observed; the threshold is
 * {@code max(|min|, |max|)}. Merges exactly (min of mins, max of maxes), in any order. Before any batch,
 * {@link #min()} is {@code +Infinity} and {@link #max()} is {@code -Infinity}.
 */
public final class MinMaxObserver extends RangeObserver {
    private static final long serialVersionUID = 1L;

    public MinMaxObserver() {
        super(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }

    @Override
    public ActivationCalibration method() {
        return ActivationCalibration.MIN_MAX;
    }

    @Override
    void fold(float lo, float hi) {
        min = Math.min(min, lo);
        max = Math.max(max, hi);
    }

    @Override
    public void merge(ActivationObserver other) {
        if (!(other instanceof MinMaxObserver o)) {
            throw new IllegalArgumentException("a MIN_MAX observer cannot merge a " + other.method() + " observer");
        }
        if (o.hasObserved()) {
            include(o.min, o.max);
        }
    }
}
