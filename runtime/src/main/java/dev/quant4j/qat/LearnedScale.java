package dev.quant4j.qat;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A learned step size (LSQ, Esser et al. 2020; PyTorch's {@code _LearnableFakeQuantize}): one trainable
 * float32 scale per block of the scheme (one per tensor at the tensor level), initialized to the contract's
 * min-max scales.
 *
 * <p>Forward: {@code x' = level(x / s') * s'}, where {@code s'} is the scale rounded up onto the param type
 * ({@link ScaleFormat#roundUp}; the identity for F32) and {@link FakeQuantize#level} is the contract's element
 * rule. Backward: the clipped straight-through estimator for {@code x}, and for the scale
 * {@code dx'/ds = level(y) - y} where the element is inside, {@code ±b} (integers) or {@code ±largest finite}
 * (floats) where it was clipped, summed over the block and multiplied by LSQ's gradient scale
 * {@code 1 / sqrt(n * qmax)}, with n the elements of that block and qmax the largest level. The rounding of
 * the scale onto its param type is passed straight through.
 *
 * <p>{@link #toQuantized} gives a real quantized tensor with exactly the forward's codes and scales, so
 * its dequantized values equal the last forward bit for bit.
 */
public final class LearnedScale {
    /** The smallest scale the optimizer may leave; a step to zero or below is held here. */
    private static final float MIN_SCALE = Float.MIN_NORMAL;

    private final String name;
    private final QuantScheme scheme;
    private final int[] shape;
    private final BlockLayout layout;
    private final float[] scales;
    private final float[] gradientScale;

    private LearnedScale(String name, QuantScheme scheme, int[] shape, float[] scales) {
        if (scheme.mode() == dev.quant4j.annotations.QuantMode.AFFINE) {
            throw new IllegalArgumentException("'" + name + "': a learned scale (LSQ) is for symmetric schemes, and "
                    + scheme + " is affine (its offset would need learning too); use FakeQuantize, or a symmetric"
                    + " scheme");
        }
        this.name = name;
        this.scheme = scheme;
        this.shape = shape.clone();
        this.layout = new BlockLayout(shape, scheme);
        this.scales = scales;
        int[] counts = new int[layout.blockCount()];
        layout.forEachRun((block, from, to) -> counts[block] += to - from);
        float qmax = FakeQuantize.maxLevel(scheme.value());
        this.gradientScale = new float[counts.length];
        for (int b = 0; b < counts.length; b++) {
            gradientScale[b] = (float) (1.0 / Math.sqrt((double) Math.max(counts[b], 1) * qmax));
        }
    }

    /**
     * Scales initialized to the contract's min-max scales of {@code x} (zero scales, from all-zero blocks,
     * start at the smallest normal float instead so that they can learn).
     *
     * @param name the tensor's name or field path, used in errors
     */
    public static LearnedScale fromMinMax(String name, FloatTensor x, QuantScheme scheme) {
        Objects.requireNonNull(name, "name");
        QuantizedTensor q = Kernels.active().quantize(name, x, scheme.validate());
        float[] s = q.scales().clone();
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.max(s[i], MIN_SCALE);
        }
        return new LearnedScale(name, scheme, x.shape(), s);
    }

    /** The trainable scales, one per block in the layout's row-major order: the array itself, for an optimizer. */
    public float[] scales() {
        return scales;
    }

    /** LSQ's gradient factor of each block, {@code 1 / sqrt(n * qmax)}. A copy. */
    public float[] gradientScales() {
        return gradientScale.clone();
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /**
     * The forward of {@code x} with the current scales: the kernels quantize it with exactly these scales
     * ({@link dev.quant4j.kernels.QuantKernels#quantize(String, FloatTensor, QuantScheme, float[])}) and
     * dequantize it.
     */
    public Forward forward(float[] x) {
        if (x.length != layout.rows() * (long) layout.rowLength()) {
            throw new IllegalArgumentException(
                    "'" + name + "' has shape " + Arrays.toString(shape) + ", got " + x.length + " values");
        }
        QuantRules.checkFinite(name, x);
        QuantValue value = scheme.value();
        float[] used = new float[scales.length];
        for (int b = 0; b < used.length; b++) {
            // A scale past the param type's largest value is held there rather than failing mid-training.
            used[b] = Math.min(
                    ScaleFormat.roundUp(Math.max(scales[b], MIN_SCALE), scheme.param()),
                    ScaleFormat.max(scheme.param()));
        }
        QuantizedTensor q = Kernels.active().quantize(name, FloatTensor.of(x, shape), scheme, used);
        float[] values = new float[x.length];
        Kernels.active().dequantize(q, values);
        float[] levels = new float[x.length];
        byte[] codes = q.codes();
        for (int i = 0; i < x.length; i++) {
            levels[i] = QuantRules.codeValue(codes, i, value);
        }
        return new Forward(x, q, levels, values, FakeQuantize.insideMask(x, q));
    }

    /**
     * Backward of {@code forward}: writes the gradient with respect to {@code x} into {@code gradX} (may be
     * {@code gradient} itself) and returns the gradient with respect to each scale, LSQ's factor included.
     */
    public float[] backward(Forward forward, float[] gradient, float[] gradX) {
        float[] gradScales = new float[scales.length];
        float[] x = forward.x;
        float bound = FakeQuantize.maxLevel(scheme.value());
        layout.forEachRun((block, from, to) -> {
            float s = forward.quantized.scales()[block];
            double sum = 0;
            for (int i = from; i < to; i++) {
                float g = gradient[i];
                if (forward.inside[i]) {
                    sum += (double) g * (forward.levels[i] - x[i] / s);
                    gradX[i] = g;
                } else {
                    sum += (double) g * Math.copySign(bound, x[i]);
                    gradX[i] = 0f;
                }
            }
            gradScales[block] += (float) sum;
        });
        for (int b = 0; b < gradScales.length; b++) {
            gradScales[b] *= gradientScale[b];
        }
        return gradScales;
    }

    /**
     * The real quantized tensor of {@code forward}: its codes and the scales it used, so that dequantizing
     * it gives exactly {@link Forward#values()}.
     */
    public QuantizedTensor toQuantized(Forward forward) {
        return forward.quantized();
    }

    /**
     * One forward: the input, the quantized tensor (its scales are the ones used, on the param grid), the
     * levels (each code's value), the values {@code level * s} and the straight-through mask. Shared arrays.
     */
    public record Forward(float[] x, QuantizedTensor quantized, float[] levels, float[] values, boolean[] inside) {
        /** The scales the forward used. */
        public float[] scales() {
            return quantized.scales();
        }
    }
}
