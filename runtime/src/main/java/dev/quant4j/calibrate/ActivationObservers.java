package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;

/** The observer for each {@link ActivationCalibration}, with the defaults docs/NUMERICS.md names. */
public final class ActivationObservers {
    private ActivationObservers() {}

    /**
     * A fresh observer: MinMax; moving-average MinMax with constant 0.01; percentile 99.999 over 2048 bins;
     * entropy over 2048 bins with 128 levels.
     *
     * @throws IllegalArgumentException for {@link ActivationCalibration#NONE}
     */
    public static ActivationObserver create(ActivationCalibration method) {
        return switch (method) {
            case MIN_MAX -> new MinMaxObserver();
            case MOVING_AVERAGE_MIN_MAX -> new MovingAverageMinMaxObserver();
            case PERCENTILE -> HistogramObserver.percentile();
            case ENTROPY -> HistogramObserver.entropy();
            case NONE ->
                throw new IllegalArgumentException("activation calibration NONE records nothing; static"
                        + " activations need minmax, movingminmax, percentile or entropy");
        };
    }
}
