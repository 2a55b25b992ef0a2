package dev.quant4j.qat;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.calibrate.ActivationObserver;
import dev.quant4j.calibrate.ActivationObservers;
import dev.quant4j.rules.QuantRules;
import java.util.Objects;

/**
 * Fake quantization of the input activations of one linear layer, as its weight field declares
 * ({@code @Quantize(activations = ...)}): symmetric int8 (Q8S codes, F32 scales).
 * {@link ActivationMode#DYNAMIC} takes one scale per row (token) from that row, {@code amax / 127};
 * {@link ActivationMode#STATIC} takes one scale for the whole tensor from a calibration observer
 * ({@link #observerFor}: the MinMax or moving-average MinMax {@link ActivationObserver} that static calibration
 * uses), which observes each training batch before it is quantized (as PyTorch's {@code FakeQuantize}) until
 * {@link #freeze()}. The backward is the clipped straight-through estimator ({@link FakeQuantize#inside}).
 */
public final class ActivationFakeQuantizer {
    private final String name;
    private final ActivationMode mode;
    private final ActivationObserver observer;
    private boolean observing = true;

    /**
     * @param name the field path it belongs to, for errors
     * @throws IllegalArgumentException for {@link ActivationMode#NONE}, or STATIC with a calibration QAT
     *                                  cannot observe (see {@link #observerFor})
     */
    public ActivationFakeQuantizer(String name, ActivationMode mode, ActivationCalibration calibration) {
        this.name = Objects.requireNonNull(name, "name");
        this.mode = Objects.requireNonNull(mode, "mode");
        switch (mode) {
            case NONE ->
                throw new IllegalArgumentException(
                        "'" + name + "' keeps float32 activations (NONE);" + " it has no activation fake quantization");
            case DYNAMIC -> this.observer = null;
            case STATIC -> {
                try {
                    this.observer = observerFor(calibration);
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
    public ActivationObserver observer() {
        return observer;
    }

    /**
     * The observer of a static activation range during training: calibration's own
     * ({@link ActivationObservers#create}), for the two methods that follow a range batch by batch:
     * {@link ActivationCalibration#MIN_MAX} keeps the smallest and largest value ever seen;
     * {@link ActivationCalibration#MOVING_AVERAGE_MIN_MAX} (PyTorch's QAT default) moves them toward each
     * batch's by the averaging constant 0.01. Its scale is {@link ActivationObserver#scale()}.
     *
     * @throws IllegalArgumentException for a method that needs a histogram (PERCENTILE, ENTROPY) or NONE
     */
    public static ActivationObserver observerFor(ActivationCalibration method) {
        if (method != ActivationCalibration.MIN_MAX && method != ActivationCalibration.MOVING_AVERAGE_MIN_MAX) {
            throw new IllegalArgumentException("quantization-aware training observes activation ranges with MIN_MAX"
                    + " or MOVING_AVERAGE_MIN_MAX, not " + method + "; set activationCalibration to one of those"
                    + " (PyTorch's QAT default is MOVING_AVERAGE_MIN_MAX)");
        }
        return ActivationObservers.create(method);
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
            throw new IllegalArgumentException(
                    "'" + name + "' activations: " + x.length + " values are not " + rows + " x " + cols);
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
                quantize(x, from, from + cols, ActivationObserver.scaleOf(amax), out, inside);
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
}
