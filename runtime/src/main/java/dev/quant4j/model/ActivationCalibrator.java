package dev.quant4j.model;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.calibrate.ActivationObserver;
import dev.quant4j.calibrate.ActivationObservers;
import dev.quant4j.scheme.QuantScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The calibrate step of prepare -> calibrate -> convert for static activations: one observer per weight
 * field whose scheme says {@link ActivationMode#STATIC}, of that scheme's calibration method. The model's
 * forward pass reports each such layer's input ({@link #observe}) while it runs on representative inputs;
 * {@link #freeze()} turns the observations into the {@link ActivationScales} the static kernels use and
 * {@link dev.quant4j.model.ModelFiles} saves.
 *
 * <p>Not thread-safe: give each thread its own calibrator ({@link #forModel} again) and {@link #merge} them;
 * that is exact for MinMax, percentile and entropy, and refused for moving-average MinMax.
 */
public final class ActivationCalibrator {
    private final Map<String, ActivationObserver> observers;

    private ActivationCalibrator(Map<String, ActivationObserver> observers) {
        this.observers = observers;
    }

    /**
     * Observers for every static-activation weight field of {@code model}, in visiting order (its quantized
     * tensor's scheme once quantized, else its declared one: {@link ActivationScales#effectiveScheme}).
     */
    public static ActivationCalibrator forModel(Object model) {
        Map<String, ActivationObserver> observers = new LinkedHashMap<>();
        for (WeightField f : Quantization.fields(model)) {
            QuantScheme scheme = ActivationScales.effectiveScheme(f);
            if (scheme != null && scheme.activations() == ActivationMode.STATIC) {
                observers.put(f.path(), ActivationObservers.create(scheme.activationCalibration()));
            }
        }
        return new ActivationCalibrator(observers);
    }

    /** True if {@code path} names a static-activation weight this calibrator observes. */
    public boolean observes(String path) {
        return observers.containsKey(path);
    }

    /** The observer of {@code path}. */
    public ActivationObserver observer(String path) {
        ActivationObserver o = observers.get(Objects.requireNonNull(path, "path"));
        if (o == null) {
            throw new IllegalArgumentException("weight '" + path + "' is not declared with static activations"
                    + " (a8static); the calibrator observes " + observers.keySet());
        }
        return o;
    }

    /** Folds one batch of the input activations of weight {@code path}, {@code x[from, to)}. */
    public void observe(String path, float[] x, int from, int to) {
        observer(path).observe(x, from, to);
    }

    /** Folds {@code other}'s observations (of the same model's fields) into this one. */
    public void merge(ActivationCalibrator other) {
        if (!other.observers.keySet().equals(observers.keySet())) {
            throw new IllegalArgumentException("calibrators of different fields do not merge: " + observers.keySet()
                    + " vs " + other.observers.keySet());
        }
        other.observers.forEach((path, o) -> observers.get(path).merge(o));
    }

    /**
     * The frozen per-tensor scales ({@link ActivationObserver#scale()}).
     *
     * @throws IllegalStateException naming the first field that saw no input
     */
    public ActivationScales freeze() {
        Map<String, Float> scales = new LinkedHashMap<>();
        observers.forEach((path, o) -> {
            if (!o.hasObserved()) {
                throw new IllegalStateException("weight '" + path + "' saw no calibration input; run the model on"
                        + " representative inputs with this calibrator before freezing");
            }
            scales.put(path, o.scale());
        });
        return new ActivationScales(scales);
    }
}
