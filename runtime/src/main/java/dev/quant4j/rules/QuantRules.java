package dev.quant4j.rules;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.Shapes;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The numeric contract of docs/NUMERICS.md, one rule per method, apart from any kernel: what a tensor
 * must satisfy before it is quantized, the raw and the stored scale of a block, the code of one value
 * and the value of one code, and how many bytes the codes take. The scalar reference kernels are these
 * rules applied element by element; the SIMD kernels compute the same steps many lanes at a time and
 * call these methods wherever they handle one value, one block scale or an error, so each rule and each
 * error message is written once.
 *
 * <p>Checks run in the reference's order, and a kernel that meets bad input reports it by calling them
 * in that order: {@link #checkScheme}, {@link #checkFinite}, then {@link #storedScales} (a scale its
 * param type cannot hold) or {@link #checkCallerScales}, then {@link #packedLength} (codes too large for
 * one array).
 *
 * <p>A scale search (choosing scales other than min-max) chooses stored scales and hands them to
 * the kernels' {@code quantize(name, tensor, scheme, scales)} (checked by {@link #checkCallerScales}), which
 * encodes each block with the given scale by {@link #encode}.
 */
public final class QuantRules {
    private QuantRules() {}

    // ---------------------------------------------------------------- checks

    /** Rejects a scheme that is invalid on its own or for this shape, listing every problem. */
    public static void checkScheme(String name, int[] shape, QuantScheme scheme) {
        List<SchemeProblem> problems = scheme.problemsFor(shape);
        if (!problems.isEmpty()) {
            throw new QuantizationException(
                    name,
                    "cannot quantize tensor '" + name + "' of shape "
                            + Shapes.toString(shape) + " with " + scheme + ": "
                            + problems.stream().map(SchemeProblem::toString).collect(Collectors.joining("; ")));
        }
    }

    /** Rejects NaN and infinities, naming the first one's flat index. */
    public static void checkFinite(String name, float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new NonFiniteValueException(name, i, x[i]);
            }
        }
    }

    /** Bytes of the packed codes of {@code count} values (any size; see {@link #packedLength}). */
    public static long packedBytes(long count, QuantScheme scheme) {
        return Packing.packedBytes(count, scheme.value(), scheme.store());
    }

    /** Bytes of the packed codes, or an error naming the tensor when they would not fit one array. */
    public static int packedLength(String name, long count, QuantScheme scheme) {
        long bytes = packedBytes(count, scheme);
        if (bytes > Shapes.MAX_ARRAY_LENGTH) {
            throw new QuantizationException(
                    name,
                    "tensor '" + name + "' has " + count + " elements; its codes would take " + bytes
                            + " bytes, more than one Java array holds");
        }
        return (int) bytes;
    }

    /**
     * Scales chosen by a caller (a scale search) for {@code quantize(name, tensor, scheme, scales)}, checked
     * after the values are known finite: one per block, each valid for the scheme
     * ({@link ScaleFormat#isValidScale}: finite, on the param type's grid, not -0.0, negative only for
     * Q8F, Q4F, Q2F with a signed param), and not 0 for a block whose max |x| is above 0.
     */
    public static void checkCallerScales(
            String name, QuantScheme scheme, BlockLayout layout, float[] amax, float[] scales) {
        if (scales.length != layout.blockCount()) {
            throw new QuantizationException(
                    name,
                    "tensor '" + name + "' with " + scheme + " has " + layout.blockCount() + " blocks; got "
                            + scales.length + " scales");
        }
        for (int b = 0; b < scales.length; b++) {
            float s = scales[b];
            if (!ScaleFormat.isValidScale(s, scheme.value(), scheme.param())) {
                throw new QuantizationException(
                        name,
                        "tensor '" + name + "' block "
                                + Arrays.toString(layout.blockCoordinates(b)) + ": scale " + s + " is not a finite, "
                                + (ScaleFormat.allowsNegative(scheme.value(), scheme.param()) ? "" : "non-negative ")
                                + scheme.param() + " value other than -0.0; round it onto the param type's grid");
            }
            if (amax[b] > 0f && s == 0f) {
                throw new QuantizationException(
                        name,
                        "tensor '" + name + "' block "
                                + Arrays.toString(layout.blockCoordinates(b)) + " holds max |x| = " + amax[b]
                                + " but its scale is 0; give it a scale above 0 (min-max gives "
                                + storedScale(amax[b], scheme.value(), scheme.param()) + ")");
            }
        }
    }

    /**
     * Rejects a scheme whose calibration is a search (MSE, IMATRIX, GPTQ) where the kernels would choose
     * MinMax scales: a search chooses its scales in {@code calibrate} and hands them to
     * {@code quantize(name, tensor, scheme, scales)}; {@code Quantizer} and the model layer do that.
     */
    public static void checkMinMaxCalibration(String name, QuantScheme scheme) {
        if (scheme.calibration() != dev.quant4j.annotations.Calibration.MIN_MAX) {
            throw new QuantizationException(
                    name,
                    "tensor '" + name + "': the kernels choose MinMax scales, and " + scheme
                            + " asks for calibration " + scheme.calibration()
                            + "; quantize it through Quantizer, the model"
                            + " layer or calibrate.ScaleSearch, which choose the scales and then call the kernels");
        }
    }

    /**
     * Rejects an affine scheme where a caller gives the scales: an affine block has an offset too, and the
     * kernels choose both from the block's min and max ({@code quantize(name, tensor, scheme)}).
     */
    public static void checkSymmetricForCallerScales(String name, QuantScheme scheme) {
        if (scheme.mode() == dev.quant4j.annotations.QuantMode.AFFINE) {
            throw new QuantizationException(
                    name,
                    "tensor '" + name + "': " + scheme + " is affine, and caller-chosen"
                            + " scales are for symmetric schemes (an affine block needs an offset too); quantize it with"
                            + " quantize(name, tensor, scheme), which takes both from each block's min and max");
        }
    }

    // ---------------------------------------------------------------- scales

    /** The raw scale of a block: {@code amax / ((b - a) / 2)} or {@code amax / fmax}, never 0 for amax > 0. */
    public static float rawScale(float amax, QuantValue value) {
        float raw = value.isFloat()
                ? amax / MiniFloat.of(value).largestFinite()
                : amax / ((value.maxCode() - value.minCode()) / 2f);
        if (amax > 0f && raw == 0f) {
            raw = Float.MIN_VALUE;
        }
        return raw;
    }

    /** The stored scale of a block, or +infinity when it does not fit the param type. */
    public static float storedScale(float amax, QuantValue value, QuantParam param) {
        return ScaleFormat.roundUp(rawScale(amax, value), param);
    }

    /**
     * Stored scales from block maxima: the raw scale, rounded up onto the param type's grid; an error
     * naming the block when one does not fit the param type.
     */
    public static float[] storedScales(String name, float[] amax, QuantScheme scheme, BlockLayout layout) {
        float[] s = new float[amax.length];
        for (int b = 0; b < amax.length; b++) {
            s[b] = storedScale(amax[b], scheme.value(), scheme.param());
            if (s[b] == Float.POSITIVE_INFINITY) {
                throw scaleOverflow(name, amax[b], scheme, layout, b);
            }
        }
        return s;
    }

    private static QuantizationException scaleOverflow(
            String name, float amax, QuantScheme scheme, BlockLayout layout, int block) {
        float raw = rawScale(amax, scheme.value());
        return new QuantizationException(
                name,
                "tensor '" + name + "' block "
                        + Arrays.toString(layout.blockCoordinates(block)) + " of grid " + Arrays.toString(layout.grid())
                        + " needs scale " + raw + " (max |x| = " + amax + "), more than " + scheme.param()
                        + " holds (" + ScaleFormat.max(scheme.param()) + "); use a wider param such as "
                        + (scheme.param() == QuantParam.F16 ? "BF16 or F32" : "F32"));
    }

    // ---------------------------------------------------------------- one value

    /**
     * The code of one value with a block's stored scale (the block's max |x| must be above 0):
     * {@code clamp(rint(x / s), a, b)} for integers, the format's rounding of {@code x / s} for floats.
     * A block whose max |x| is 0 has code 0 everywhere instead (see {@link #encodeBlock}).
     */
    public static int encode(float x, float s, QuantValue value) {
        float y = x / s;
        if (value.isFloat()) {
            return MiniFloat.of(value).encode(y);
        }
        double r = Math.rint(y);
        if (r < value.minCode()) {
            return value.minCode();
        }
        if (r > value.maxCode()) {
            return value.maxCode();
        }
        return (int) r;
    }

    /**
     * Encodes {@code x[from .. to)}, one block's run, with its stored scale into zeroed {@code codes}: every
     * code is 0 when the block's max |x| is 0 (so -0.0 gives code 0 too), else {@link #encode} per value.
     */
    public static void encodeBlock(
            float[] x, int from, int to, float blockAbsMax, float s, QuantValue value, byte[] codes) {
        if (blockAbsMax == 0f) {
            return;
        }
        int bits = value.bits();
        for (int i = from; i < to; i++) {
            Packing.put(codes, i, bits, encode(x[i], s, value));
        }
    }

    /** The value of code number {@code i} before the scale: the signed integer, or the small float's value. */
    public static float codeValue(byte[] codes, int i, QuantValue value) {
        int bits = value.bits();
        return value.isFloat()
                ? MiniFloat.of(value).decode(Packing.getRaw(codes, i, bits))
                : (float) Packing.getSigned(codes, i, bits);
    }

    // ---------------------------------------------------------------- the affine mode

    /** The largest unsigned code of an affine value: {@code 2^bits - 1} (255, 15, 3). */
    public static int affineMaxCode(QuantValue value) {
        return (1 << value.bits()) - 1;
    }

    /**
     * The stored offset of an affine block whose smallest element is {@code min}: {@code min} rounded down
     * onto the param type ({@link ScaleFormat#roundDown}; a zero gives +0.0), so that every element is at or
     * above it; {@code -infinity} when the param type cannot hold it.
     */
    public static float affineOffset(float min, QuantParam param) {
        return ScaleFormat.roundDown(min, param);
    }

    /**
     * The stored scale of an affine block with largest element {@code max} and stored offset {@code m}
     * ({@code m <= max}): +0 when {@code max == m} (every element equals the offset), else
     * {@code (max - m) / (2^bits - 1)} in float32 (two roundings; an underflow to 0 gives the smallest float32),
     * rounded up onto the param type; +infinity when it does not fit.
     */
    public static float affineScale(float max, float m, QuantValue value, QuantParam param) {
        if (!(max > m)) {
            return 0f;
        }
        float raw = (max - m) / affineMaxCode(value);
        if (raw == 0f) {
            raw = Float.MIN_VALUE;
        }
        return ScaleFormat.roundUp(raw, param);
    }

    /**
     * Stored scales and offsets of affine blocks from their minima and maxima ({@link #affineOffset},
     * {@link #affineScale}); an error naming the block when either does not fit the param type. The result
     * is {@code {scales, offsets}}.
     */
    public static float[][] affineParams(
            String name, float[] min, float[] max, QuantScheme scheme, BlockLayout layout) {
        float[] d = new float[min.length];
        float[] m = new float[min.length];
        for (int b = 0; b < min.length; b++) {
            m[b] = affineOffset(min[b], scheme.param());
            d[b] = m[b] == Float.NEGATIVE_INFINITY
                    ? Float.POSITIVE_INFINITY
                    : affineScale(max[b], m[b], scheme.value(), scheme.param());
            if (d[b] == Float.POSITIVE_INFINITY) {
                throw new QuantizationException(
                        name,
                        "tensor '" + name + "' block "
                                + Arrays.toString(layout.blockCoordinates(b)) + " of grid "
                                + Arrays.toString(layout.grid())
                                + " spans [" + min[b] + ", " + max[b] + "], more than an affine " + scheme.param()
                                + " offset and scale hold (" + ScaleFormat.max(scheme.param())
                                + "); use a wider param such as "
                                + (scheme.param() == QuantParam.F16 ? "BF16 or F32" : "F32"));
            }
        }
        return new float[][] {d, m};
    }

    /**
     * The affine code of one value with its block's stored scale {@code d > 0} and offset {@code m}:
     * {@code clamp(rint((x - m) / d), 0, 2^bits - 1)}, one float32 subtraction and one float32 division.
     * A block with {@code d == 0} has code 0 everywhere instead (see {@link #encodeAffineBlock}).
     */
    public static int encodeAffine(float x, float d, float m, QuantValue value) {
        double r = Math.rint((x - m) / d);
        int top = affineMaxCode(value);
        if (r > top) {
            return top;
        }
        return r < 0 ? 0 : (int) r;
    }

    /** Encodes {@code x[from .. to)}, one affine block's run, into zeroed {@code codes}; nothing when {@code d == 0}. */
    public static void encodeAffineBlock(
            float[] x, int from, int to, float d, float m, QuantValue value, byte[] codes) {
        if (d == 0f) {
            return;
        }
        int bits = value.bits();
        for (int i = from; i < to; i++) {
            Packing.put(codes, i, bits, encodeAffine(x[i], d, m, value));
        }
    }

    /** The value of affine code {@code q} (unsigned) with scale {@code d} and offset {@code m}: {@code fma(q, d, m)}. */
    public static float affineValue(int q, float d, float m) {
        return Math.fma((float) q, d, m);
    }

    /** The unsigned code number {@code i} of an affine tensor. */
    public static int affineCode(byte[] codes, int i, QuantValue value) {
        return Packing.getRaw(codes, i, value.bits());
    }

    // ---------------------------------------------------------------- int8 activations

    /** Activations quantized for an integer product share one scale per this many consecutive values. */
    public static final int ACTIVATION_BLOCK = 32;

    /** Activations quantized per {@link #ACTIVATION_BLOCK}: their codes and one scale per block. */
    public record Int8Activations(byte[] codes, float[] scales) {}

    /**
     * Quantizes activations as the contract quantizes a Q8S weight with F32 scales: {@code s = amax / 127},
     * {@code q = clamp(rint(x / s), -127, 127)}; an all-zero block has scale 0 and codes 0. Every integer
     * product (today {@code QuantKernels.matvecInt8}) quantizes its activations with this rule.
     *
     * @throws NonFiniteValueException for NaN or infinite activations
     */
    public static Int8Activations quantizeActivations(float[] x) {
        checkFinite("activations", x);
        int blocks = (x.length + ACTIVATION_BLOCK - 1) / ACTIVATION_BLOCK;
        byte[] q = new byte[x.length];
        float[] s = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * ACTIVATION_BLOCK;
            int to = Math.min(from + ACTIVATION_BLOCK, x.length);
            float amax = 0f;
            for (int i = from; i < to; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
            }
            s[b] = storedScale(amax, QuantValue.Q8S, QuantParam.F32);
            if (amax != 0f) {
                for (int i = from; i < to; i++) {
                    q[i] = (byte) encode(x[i], s[b], QuantValue.Q8S);
                }
            }
        }
        return new Int8Activations(q, s);
    }
}
