package dev.quant4j.qat;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Objects;

/**
 * Fake quantization for quantization-aware training: the forward is the contract's
 * {@code dequantize(quantize(x))} (docs/NUMERICS.md), computed by the kernels themselves so that it cannot
 * drift from what a real quantized weight gives; the backward is the clipped straight-through estimator
 * (gradient 1 where the element fell inside the representable range, 0 where it was clipped; the exact
 * rule is {@link #inside} and docs/NUMERICS.md, "Fake quantization").
 */
public final class FakeQuantize {
    private FakeQuantize() {}

    /** {@link #apply(String, FloatTensor, QuantScheme, QuantKernels)} with the active kernels. */
    public static FakeQuantized apply(String name, FloatTensor x, QuantScheme scheme) {
        return apply(name, x, scheme, Kernels.active());
    }

    /**
     * Quantizes {@code x} with {@code scheme} (min-max scales, as {@link QuantKernels#quantize}), dequantizes
     * it, and records which elements were clipped.
     *
     * @param name the tensor's name or field path, used in errors
     * @throws dev.quant4j.errors.QuantizationException as {@link QuantKernels#quantize} (non-finite input,
     *         a scale that overflows its param type, a scheme that does not fit the shape)
     */
    public static FakeQuantized apply(String name, FloatTensor x, QuantScheme scheme, QuantKernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        QuantizedTensor q = kernels.quantize(name, x, scheme.validate());
        float[] values = new float[q.size()];
        kernels.dequantize(q, values);
        return new FakeQuantized(q, values, insideMask(x.data(), q));
    }

    /**
     * The straight-through mask of {@code x} quantized as {@code q}: element i is inside when
     * {@link #inside}{@code (x[i], scale of its block, value)}.
     */
    public static boolean[] insideMask(float[] x, QuantizedTensor q) {
        if (x.length != q.size()) {
            throw new IllegalArgumentException(
                    "the input has " + x.length + " values but the quantized tensor " + q.size());
        }
        boolean[] inside = new boolean[x.length];
        float[] scales = q.scales();
        QuantValue value = q.scheme().value();
        BlockLayout layout = q.layout();
        if (q.isAffine()) {
            // Affine: inside when 0 <= rint((x - m) / d) <= 2^bits - 1 (always, up to rounding, for MinMax
            // params); a block with d = 0 is inside.
            float[] offsets = q.offsets();
            int top = QuantRules.affineMaxCode(value);
            layout.forEachRun((block, from, to) -> {
                float d = scales[block];
                for (int i = from; i < to; i++) {
                    double r = Math.rint((x[i] - offsets[block]) / d);
                    inside[i] = d == 0f || (r >= 0 && r <= top);
                }
            });
            return inside;
        }
        layout.forEachRun((block, from, to) -> {
            float s = scales[block];
            for (int i = from; i < to; i++) {
                inside[i] = inside(x[i], s, value);
            }
        });
        return inside;
    }

    /**
     * The clipped straight-through estimator: zeroes {@code gradient} in place where {@code inside} is false
     * (the gradient with respect to the fake-quantized value becomes the gradient with respect to its input)
     * and returns it.
     */
    public static float[] straightThrough(float[] gradient, boolean[] inside) {
        if (gradient.length != inside.length) {
            throw new IllegalArgumentException(
                    "gradient of length " + gradient.length + " for a mask of " + inside.length + " elements");
        }
        for (int i = 0; i < gradient.length; i++) {
            if (!inside[i]) {
                gradient[i] = 0f;
            }
        }
        return gradient;
    }

    /**
     * Whether quantizing {@code x} with the stored scale {@code s} keeps it inside the value's range, so that
     * the straight-through gradient passes. With {@code y = x / s} in float32 (the contract's one division):
     * integer values are inside when {@code a <= rint(y) <= b} (the clamp did nothing); float values are
     * inside when {@code |y| <= largest finite} (no saturation). A zero scale (an all-zero block) is inside.
     */
    public static boolean inside(float x, float s, QuantValue value) {
        if (s == 0f) {
            return true;
        }
        float y = x / s;
        if (value.isFloat()) {
            return Math.abs(y) <= value.largestFinite();
        }
        float r = (float) Math.rint(y);
        return r >= value.minCode() && r <= value.maxCode();
    }

    /**
     * The value of {@code x} on the code grid with the given scale, before multiplying by it: the value of
     * the code {@link QuantRules#encode} gives ({@code clamp(rint(x / s), a, b)} as an integer, so code 0
     * is +0.0; or the small float's nearest-even, saturating code), for a scale that is given (a learned
     * scale, an observed activation range) rather than computed from the block. {@code s} must be above 0.
     */
    public static float level(float x, float s, QuantValue value) {
        int code = QuantRules.encode(x, s, value);
        return value.isFloat() ? MiniFloat.of(value).decode(code) : code;
    }

    /** The largest level magnitude: {@code b} for integer values, the largest finite value for float values. */
    static float maxLevel(QuantValue value) {
        return value.isFloat() ? value.largestFinite() : value.maxCode();
    }
}
