package dev.quant4j.model;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.scheme.QuantScheme;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The frozen activation scales of a statically quantized model: for each weight field declared with
 * {@link ActivationMode#STATIC}, by field path, one float32 scale per tensor ({@code x ~ q * s},
 * {@code q = clamp(rint(x / s), -127, 127)}; docs/NUMERICS.md). Made by
 * {@code dev.quant4j.model.ActivationCalibrator#freeze()}, saved and loaded by
 * {@link dev.quant4j.model.ModelFiles} as companion tensors {@code PATH.__activation_scale} (docs/FILE-FORMAT.md).
 * Immutable.
 */
public final class ActivationScales {
    /** The suffix of a weight path's activation scale tensor in a model file. */
    public static final String SUFFIX = ".__activation_scale";

    /** No scales: a model with only dynamic or float32 activations. */
    public static final ActivationScales NONE = new ActivationScales(Map.of());

    private final Map<String, Float> scales;

    /**
     * @throws IllegalArgumentException for a scale that is not finite and {@code >= 0}, naming its path
     */
    public ActivationScales(Map<String, Float> scales) {
        Map<String, Float> copy = new LinkedHashMap<>();
        scales.forEach((path, s) -> {
            Objects.requireNonNull(path, "path");
            if (s == null || !(s >= 0f) || Float.isInfinite(s)) {
                throw new IllegalArgumentException("activation scale of weight '" + path + "' is " + s
                        + "; a scale must be finite and >= 0 (recalibrate)");
            }
            copy.put(path, s);
        });
        this.scales = Collections.unmodifiableMap(copy);
    }

    /** Path -> scale, in insertion order. */
    public Map<String, Float> asMap() {
        return scales;
    }

    /**
     * The scale of weight {@code path}.
     *
     * @throws IllegalStateException naming the field and the companion tensor when it has none
     */
    public float require(String path) {
        Float s = scales.get(path);
        if (s == null) {
            throw new IllegalStateException("weight '" + path + "' is declared with static activations (a8static)"
                    + " but has no frozen activation scale ('" + path + SUFFIX + "' is missing); calibrate the model"
                    + " (ActivationCalibrator) and save it with ModelFiles.save(model, file, metadata, scales), or"
                    + " load a file that holds the scale with ModelFiles.loadActivationScales");
        }
        return s;
    }

    /**
     * Checks that every scale names a weight field of {@code model} declared with static activations.
     *
     * @throws IllegalArgumentException naming a scale for a field that is absent or not static
     */
    public ActivationScales checkFits(Object model) {
        Map<String, WeightField> byPath = fieldsByPath(model);
        for (String path : scales.keySet()) {
            WeightField f = byPath.get(path);
            if (f == null || !isStatic(f)) {
                throw new IllegalArgumentException("'" + path + SUFFIX + "' is an activation scale for "
                        + (f == null
                                ? "no weight field of " + model.getClass().getSimpleName()
                                : "weight '" + path + "', whose activations are "
                                        + (effectiveScheme(f) == null
                                                ? ActivationMode.NONE
                                                : effectiveScheme(f).activations())
                                        + ", not STATIC")
                        + "; drop it or declare the field a8static");
            }
        }
        return this;
    }

    /**
     * {@link #checkFits}, and every static-activation field of {@code model} has a scale: what a static
     * model needs before it runs.
     *
     * @throws IllegalStateException naming the first field without a scale ({@link #require})
     */
    public ActivationScales checkCovers(Object model) {
        checkFits(model);
        fieldsByPath(model).forEach((path, f) -> {
            if (isStatic(f)) {
                require(path);
            }
        });
        return this;
    }

    /**
     * The scheme that says how a field's input activations are quantized: the quantized tensor's own (what
     * was applied, and what the kernels read) once the field is quantized, else the declared one.
     */
    public static QuantScheme effectiveScheme(WeightField f) {
        dev.quant4j.tensor.QuantizedTensor q = f.quantized();
        return q != null ? q.scheme() : f.scheme();
    }

    private static boolean isStatic(WeightField f) {
        QuantScheme s = effectiveScheme(f);
        return s != null && s.activations() == ActivationMode.STATIC;
    }

    private static Map<String, WeightField> fieldsByPath(Object model) {
        Map<String, WeightField> byPath = new LinkedHashMap<>();
        for (WeightField f : Quantization.fields(model)) {
            byPath.put(f.path(), f);
        }
        return byPath;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationScales a && a.scales.equals(scales);
    }

    @Override
    public int hashCode() {
        return scales.hashCode();
    }

    @Override
    public String toString() {
        return "ActivationScales" + scales;
    }
}
