package dev.quant4j.calibrate;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.lang.System.Logger.Level;

/**
 * The scale searches of {@link Calibration#MSE} and {@link Calibration#IMATRIX} (docs/NUMERICS.md,
 * "Choosing the scale"): per block, among candidate stored scales, the one whose codes (by the
 * contract's rule {@code clamp(rint(x / s), a, b)}, {@link QuantRules#encode}) give the smallest
 * (weighted) squared error. The codes are then written by the kernels' own
 * {@link QuantKernels#quantize(String, FloatTensor, QuantScheme, float[])},
 * so a searched tensor is read exactly like a MinMax one.
 *
 * <p>The candidates, in the order they are tried (a later one wins only when its error is strictly
 * smaller, so the MinMax scale, tried first, is never beaten by a tie):
 * <ol>
 *   <li>the MinMax stored scale {@code s0};</li>
 *   <li>for k = 0 .. {@value #GRID_STEPS}: {@code roundUp(amax / t_k)} with
 *       {@code t_k = c * (GRID_DENOMINATOR + k) / GRID_DENOMINATOR} and {@code c = -a} (8 for Q4F,
 *       7 for Q4S), i.e. the block's extreme put exactly on code {@code a} and then clipped by up to
 *       20%; for the full-range values (Q8F, Q4F, Q2F) with a signed param each magnitude is tried
 *       positive, then negative: the negative scale sends a positive extreme to code {@code a};</li>
 *   <li>up to {@value #REFITS} least-squares refits of the best so far: with its codes q,
 *       {@code s* = sum(w x q) / sum(w q q)}; its magnitude rounded up onto the param, then the next
 *       value below, each with the sign of {@code s*}.</li>
 * </ol>
 * A candidate that is 0, overflows the param, would be negative where the contract forbids it, or has
 * a magnitude below {@code |s0| / 4} is skipped (the last keeps {@code |x / s|} small, which the SIMD
 * rounding relies on). The error of a candidate is {@link #blockError}, in float32 with a fixed
 * summation order, so the SIMD path ({@code PanamaBlockErrors}) gives the same bits.
 */
public final class ScaleSearch {
    /** The grid's divisor step is {@code c / GRID_DENOMINATOR}. */
    public static final int GRID_DENOMINATOR = 64;
    /** The grid has {@code GRID_STEPS + 1} magnitudes, the last clipping the extreme by 16/80 = 20%. */
    public static final int GRID_STEPS = 16;
    /** Least-squares refits after the grid. */
    public static final int REFITS = 2;
    /** Partial sums of the error: element k of a block goes to sum {@code k mod PARTIALS}. */
    public static final int PARTIALS = 16;
    /** A candidate's magnitude must be at least the MinMax scale divided by this. */
    static final float FINEST = 4f;

    private static final System.Logger LOG = System.getLogger("dev.quant4j.calibrate");

    /** The error of one candidate scale on one block; the scalar reference and a SIMD version. */
    interface BlockErrors {
        /**
         * {@link #blockError}: the same bits. {@code partials} is scratch of {@link #PARTIALS} floats.
         */
        float error(float[] x, float[] w, int from, int n, float s, QuantValue value, float[] partials);
    }

    private static final BlockErrors SCALAR = ScaleSearch::blockError;

    private ScaleSearch() {}

    /**
     * Quantizes with the scheme's calibration: MinMax through the kernels' own scales, a search through
     * this class and then the kernels' encoding with the chosen scales.
     *
     * @param importance for {@link Calibration#IMATRIX}: the mean square of each input, one per element
     *                   of the tensor's last dimension (the input dimension of a {@code [out, in]} weight),
     *                   finite and {@code >= 0}; ignored by the other calibrations (may be null)
     * @throws QuantizationException naming the tensor for everything {@link QuantKernels#quantize} rejects,
     *         and for IMATRIX without importance or with importance of the wrong length or values
     */
    public static QuantizedTensor quantize(
            QuantKernels kernels, String name, FloatTensor tensor, QuantScheme scheme, float[] importance) {
        if (!scheme.calibration().isSearch()) {
            return kernels.quantize(name, tensor, scheme);
        }
        float[] scales = scales(name, tensor, scheme, importance, errorsFor(kernels));
        return kernels.quantize(name, tensor, scheme, scales);
    }

    /** The searched stored scales, one per block, row-major over the grid (the scalar reference). */
    public static float[] scales(String name, FloatTensor tensor, QuantScheme scheme, float[] importance) {
        return scales(name, tensor, scheme, importance, SCALAR);
    }

    private static float[] scales(
            String name, FloatTensor tensor, QuantScheme scheme, float[] importance, BlockErrors errors) {
        int[] shape = tensor.shape();
        float[] x = tensor.data();
        QuantRules.checkScheme(name, shape, scheme);
        QuantRules.checkFinite(name, x);
        BlockLayout layout = new BlockLayout(shape, scheme);
        if (scheme.calibration() == Calibration.GPTQ) {
            throw new QuantizationException(
                    name,
                    "calibration GPTQ needs the second moments of the inputs of tensor '"
                            + name + "'; quantize it with Gptq.quantize, or through WeightQuantizer.calibrated with "
                            + "InputStatistics.withSecondMoments() recorded on calibration data");
        }
        float[] weights = scheme.calibration() == Calibration.IMATRIX
                ? checkedImportance(name, shape, layout.rowLength(), importance)
                : null;
        float[] amax = layout.blockAbsMax(x);
        // The MinMax scales are the first candidates; computing them reports a scale too large for the
        // param exactly as MinMax does.
        float[] scales = QuantRules.storedScales(name, amax, scheme, layout);
        int blocks = layout.blockCount();
        // Each block's elements in its own order (its runs along the rows, in row order), contiguous.
        int[] start = new int[blocks + 1];
        layout.forEachRun((b, from, to) -> start[b + 1] += to - from);
        for (int b = 0; b < blocks; b++) {
            start[b + 1] += start[b];
        }
        float[] gx = new float[x.length];
        float[] gw = weights == null ? null : new float[x.length];
        int[] fill = start.clone();
        int rowLength = layout.rowLength();
        layout.forEachRun((b, from, to) -> {
            System.arraycopy(x, from, gx, fill[b], to - from);
            if (gw != null) {
                for (int i = from; i < to; i++) {
                    gw[fill[b] + i - from] = weights[i % rowLength];
                }
            }
            fill[b] += to - from;
        });
        float[] partials = new float[PARTIALS];
        QuantValue value = scheme.value();
        QuantParam param = scheme.param();
        for (int b = 0; b < blocks; b++) {
            if (amax[b] > 0f) {
                scales[b] = searchBlock(
                        gx, gw, start[b], start[b + 1] - start[b], amax[b], scales[b], value, param, errors, partials);
            }
        }
        return scales;
    }

    private static float[] checkedImportance(String name, int[] shape, int rowLength, float[] importance) {
        if (importance == null) {
            throw new QuantizationException(
                    name,
                    "calibration IMATRIX needs the input statistics of tensor '"
                            + name + "' (the mean square of each of its " + rowLength + " inputs); record them on"
                            + " calibration data (InputStatistics) or use calibration MSE, which needs none");
        }
        if (importance.length != rowLength) {
            throw new QuantizationException(
                    name,
                    "tensor '" + name + "' of shape " + Shapes.toString(shape)
                            + " has " + rowLength + " inputs (its last dimension) but its input statistics have "
                            + importance.length + " values; record them on this model's layer");
        }
        for (int j = 0; j < importance.length; j++) {
            if (!(importance[j] >= 0f) || importance[j] == Float.POSITIVE_INFINITY) {
                throw new QuantizationException(
                        name,
                        "input statistic " + j + " of tensor '" + name + "' is " + importance[j]
                                + "; mean squares must be finite and >= 0");
            }
        }
        return importance;
    }

    /** One block's search (the candidates and their order are in the class comment). */
    static float searchBlock(
            float[] x,
            float[] w,
            int from,
            int n,
            float amax,
            float minMaxScale,
            QuantValue value,
            QuantParam param,
            BlockErrors errors,
            float[] partials) {
        boolean signed = ScaleFormat.allowsNegative(value, param);
        float floor = minMaxScale / FINEST;
        float best = minMaxScale;
        float bestError = errors.error(x, w, from, n, best, value, partials);
        float c = -value.minCode();
        for (int k = 0; k <= GRID_STEPS; k++) {
            // Exact: c * (64 + k) is a small integer and the division is by a power of two.
            float t = c * (GRID_DENOMINATOR + k) / GRID_DENOMINATOR;
            float s = ScaleFormat.roundUp(amax / t, param);
            if (!(s >= floor) || s == Float.POSITIVE_INFINITY) {
                continue;
            }
            float e = errors.error(x, w, from, n, s, value, partials);
            if (e < bestError) {
                best = s;
                bestError = e;
            }
            if (signed) {
                e = errors.error(x, w, from, n, -s, value, partials);
                if (e < bestError) {
                    best = -s;
                    bestError = e;
                }
            }
        }
        for (int round = 0; round < REFITS; round++) {
            float star = leastSquaresScale(x, w, from, n, best, value);
            if (!(Math.abs(star) > 0f) || !Float.isFinite(star) || (star < 0f && !signed)) {
                break;
            }
            float up = ScaleFormat.roundUp(Math.abs(star), param);
            if (up == Float.POSITIVE_INFINITY) {
                break;
            }
            boolean improved = false;
            for (float m : new float[] {up, ScaleFormat.nextBelow(up, param)}) {
                if (!(m >= floor)) {
                    continue;
                }
                float s = Math.copySign(m, star);
                float e = errors.error(x, w, from, n, s, value, partials);
                if (e < bestError) {
                    best = s;
                    bestError = e;
                    improved = true;
                }
            }
            if (!improved) {
                break;
            }
        }
        return best;
    }

    /**
     * The scale that minimises the (weighted) squared error for the codes of scale {@code s}:
     * {@code sum(w x q) / sum(w q q)}, both sums in float32 in element order (w = 1 without weights);
     * NaN when the denominator is 0.
     */
    static float leastSquaresScale(float[] x, float[] w, int from, int n, float s, QuantValue value) {
        float num = 0f;
        float den = 0f;
        for (int i = from; i < from + n; i++) {
            float q = QuantRules.encode(x[i], s, value);
            float xq = x[i] * q;
            float qq = q * q;
            if (w != null) {
                xq *= w[i];
                qq *= w[i];
            }
            num += xq;
            den += qq;
        }
        return den > 0f ? num / den : Float.NaN;
    }

    /**
     * The error of scale {@code s} on the block {@code x[from .. from + n)}, the search's objective:
     * with {@code q = encode(x, s)} (the contract's rule), {@code r = x - q * s} and
     * {@code e = r * r} (times {@code w[i]} when weights are given), each a float32 operation; element
     * k's {@code e} is added to partial sum {@code k mod 16}, in element order; the result is
     * {@code p0 + p1 + ... + p15}, left to right. The SIMD path keeps 16 lanes of partial sums.
     */
    public static float blockError(float[] x, float[] w, int from, int n, float s, QuantValue value, float[] partials) {
        java.util.Arrays.fill(partials, 0f);
        for (int k = 0; k < n; k++) {
            partials[k & (PARTIALS - 1)] += term(x, w, from + k, s, value);
        }
        return sumPartials(partials);
    }

    /** One element's weighted squared error (see {@link #blockError}). */
    static float term(float[] x, float[] w, int i, float s, QuantValue value) {
        float q = QuantRules.encode(x[i], s, value);
        float r = x[i] - q * s;
        float e = r * r;
        return w == null ? e : e * w[i];
    }

    /** {@code p0 + p1 + ... + p15}, left to right. */
    static float sumPartials(float[] partials) {
        float t = partials[0];
        for (int j = 1; j < PARTIALS; j++) {
            t += partials[j];
        }
        return t;
    }

    /** The SIMD error kernel when these kernels are the SIMD ones, else the scalar reference. */
    static BlockErrors errorsFor(QuantKernels kernels) {
        return kernels == Kernels.scalar() || !Kernels.vectorModulePresent() ? SCALAR : Simd.ERRORS;
    }

    /** Loads the Vector API error kernel by name, only when it is asked for (Lucene's provider pattern). */
    private static final class Simd {
        static final BlockErrors ERRORS = load();

        private static BlockErrors load() {
            try {
                return (BlockErrors) Class.forName("dev.quant4j.calibrate.PanamaBlockErrors")
                        .getDeclaredConstructor()
                        .newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.log(
                        Level.WARNING,
                        "quant4j calibrate: the SIMD error kernel failed to load, the scalar one" + " runs: " + e);
                return SCALAR;
            }
        }
    }

    /** The search's SIMD kernel name, for tests and logs: {@code scalar} or {@code panama-N}. */
    public static String errorKernelName(QuantKernels kernels) {
        BlockErrors e = errorsFor(kernels);
        return e == SCALAR ? "scalar" : e.toString();
    }
}
