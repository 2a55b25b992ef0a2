package dev.quant4j.qat;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;

import java.util.Objects;

/**
 * Fake quantization of the input activations of one linear layer, as its weight field declares
 * ({@code @Quantize(activations = ...)}): symmetric int8 (Q8S codes, F32 scales).
 * {@link ActivationMode#DYNAMIC} takes one scale per row (token) from that row, {@code amax / 127};
 * {@link ActivationMode#STATIC} takes one scale for the whole tensor from a {@link RangeObserver}, which
 * observes each training batch before it is quantized (as PyTorch's {@code FakeQuantize}) until
 * {@link #freeze()}. The backward is the clipped straight-through estimator ({@link FakeQuantize#inside}).
 */
public final class ActivationFakeQuantizer {
    private final String name;
    private final ActivationMode mode;
    private final RangeObserver observer;
    private boolean observing = true;

    /**
     * @param name the field path it belongs to, for errors
     * @throws IllegalArgumentException for {@link ActivationMode#NONE}, or STATIC with a calibration QAT
     *                                  cannot observe (see {@link RangeObserver})
     */
    public ActivationFakeQuantizer(String name, ActivationMode mode, ActivationCalibration calibration) {
        this.name = Objects.requireNonNull(name, "name");
        this.mode = Objects.requireNonNull(mode, "mode");
        switch (mode) {
            case NONE -> throw new IllegalArgumentException("'" + name + "' keeps float32 activations (NONE);"
                    + " it has no activation fake quantization");
            case DYNAMIC -> this.observer = null;
            case STATIC -> {
                try {
                    this.observer = new RangeObserver(calibration);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("field '" + name + "': " + e.getMessage(), e);
                }
            }
            default -> throw new AssertionError(mode);
        }
    }

    public ActivationMode mode() {
        return mode;
    }

    /** The static mode's observer; null for DYNAMIC. */
    public RangeObserver observer() {
        return observer;
    }

    /** Stops observing: from now on the static scale is frozen (evaluation, and the converted model). */
    public void freeze() {
        observing = false;
    }

    /** Observes again (more training). */
    public void unfreeze() {
        observing = true;
    }

    public boolean isObserving() {
        return observing;
    }

    /**
     * Fake-quantizes {@code x}, row-major {@code [rows, cols]}, into a new array; marks the elements inside
     * the range in {@code inside} when it is not null (for {@link FakeQuantize#straightThrough}).
     *
     * @throws IllegalStateException for STATIC when it is frozen before it has observed anything
     */
    public float[] apply(float[] x, int rows, int cols, boolean[] inside) {
        if ((long) rows * cols != x.length) {
            throw new IllegalArgumentException("'" + name + "' activations: " + x.length + " values are not "
                    + rows + " x " + cols);
        }
        QuantRules.checkFinite(name + " (activations)", x);
        float[] out = new float[x.length];
        if (mode == ActivationMode.DYNAMIC) {
            for (int r = 0; r < rows; r++) {
                int from = r * cols;
                float amax = 0f;
                for (int i = from; i < from + cols; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                quantize(x, from, from + cols, q8Scale(amax), out, inside);
            }
            return out;
        }
        if (observing) {
            observer.observe(x, 0, x.length);
        } else if (!observer.hasObserved()) {
            throw new IllegalStateException("'" + name + "' has static activation quantization but its observer has"
                    + " seen no batch; run training (or calibration) batches before freezing it");
        }
        quantize(x, 0, x.length, observer.scale(), out, inside);
        return out;
    }

    private static void quantize(float[] x, int from, int to, float s, float[] out, boolean[] inside) {
        for (int i = from; i < to; i++) {
            // A zero scale means every value here is zero; the contract's code 0 is +0.0.
            out[i] = s == 0f ? 0f : FakeQuantize.level(x[i], s, QuantValue.Q8S) * s;
            if (inside != null) {
                inside[i] = FakeQuantize.inside(x[i], s, QuantValue.Q8S);
            }
        }
    }

    /**
     * The contract's Q8S scale with an F32 param for a range of magnitude {@code amax}: {@code amax / 127}
     * in float32 ({@link QuantRules#rawScale}: the smallest positive float when that underflows), 0 for
     * {@code amax == 0}.
     */
    static float q8Scale(float amax) {
        return QuantRules.rawScale(amax, QuantValue.Q8S);
    }
}
