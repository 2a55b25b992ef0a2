package dev.quant4j.calibrate;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;

/**
 * GPTQ (Frantar et al., 2022) for a linear layer's weight {@code W [rows, cols]} = {@code [out, in]} with
 * blocks of B along the rows: the columns are quantized in order, and each column's rounding error is
 * passed on to the columns not yet quantized through the upper Cholesky factor U of the inverse of the
 * damped second moment of the inputs, {@code H = E[x x^T] + DAMP * mean(diag) * I}, so that the layer's
 * output error {@code tr((W - Q) H (W - Q)^T)} is what is kept small, not the weights' own error. A
 * block's scale is chosen when the first of its columns is reached, by the IMATRIX search on the block's
 * updated values weighted by {@code diag(H)}.
 *
 * <p>The result is an ordinary quantized tensor: the codes are the contract's rule
 * {@code clamp(rint(v / s), a, b)} applied (by the kernels' {@code quantize(name, tensor, scheme, scales)}) to
 * the values v GPTQ rounded,
 * each being the weight plus the errors passed on to it. It is read like any other.
 *
 * <p>Cost: a Cholesky factorisation and a triangular inverse of the {@code cols x cols} matrix
 * ({@code 2/3 cols^3} multiply-adds) and {@code rows * cols^2 / 2} for the error feedback, in double.
 */
public final class Gptq {
    /**
     * The damping added to H's diagonal, as a fraction of its mean (GPTQ's {@code percdamp}, whose default
     * is 0.01). Measured on the demo's q4f:block32:f16 row, all 327 sentences, statistics from the demo's 824
     * calibration sentences (12,842 tokens), cosine mean / min: 0.01 gives 0.988567 / 0.917784, 0.03 gives
     * 0.988476 / 0.927929, 0.1 gives 0.987901 / 0.928011. (On the first 70 sentences alone, 1,083 tokens,
     * fewer than the 1,536 inputs of the FFN output matrices, H was singular and 0.1 was best.)
     */
    public static final double DAMP = 0.03;

    /**
     * The damping where the statistics hold fewer than {@link #ROWS_PER_INPUT} input rows per input: there H is
     * poorly conditioned or singular (the demo's first 70 calibration sentences give 1,083 rows for layers of
     * 384 and 1,536 inputs), and 0.1 measured best (0.01 gave 0.9839 / 0.860, 0.1 0.9857 / 0.908, 0.3 0.9850 /
     * 0.895 on that row). Statistics given without rows (a recording of one row) take it too.
     */
    public static final double DAMP_FEW_ROWS = 0.1;

    /**
     * Input rows per input from which {@link #DAMP} applies. Measured at both ends (1,083 rows: 0.7 to 2.8 per
     * input; 12,842 rows: 8.4 to 33 per input); the threshold between them is not tuned.
     */
    public static final int ROWS_PER_INPUT = 4;

    /** The damping for statistics of {@code rows} input rows of {@code cols} inputs. */
    public static double damping(long rows, int cols) {
        return rows >= (long) ROWS_PER_INPUT * cols ? DAMP : DAMP_FEW_ROWS;
    }

    private Gptq() {}

    /** The values GPTQ rounds ({@code [rows, cols]}) and the stored scale of each block. */
    record Result(float[] values, float[] scales) {}

    /**
     * Quantizes {@code weights [rows, cols]} with GPTQ.
     *
     * @param secondMoments {@code E[x x^T]} of the layer's inputs, {@code cols x cols} row-major, symmetric
     * @throws QuantizationException naming the tensor for a tensor that is not a matrix, a scheme without
     *         blocks along the rows, a float value, non-finite input, a scale too large for the param, or
     *         second moments of the wrong size or not finite
     */
    public static QuantizedTensor quantize(
            QuantKernels kernels, String name, FloatTensor weights, QuantScheme scheme, double[] secondMoments) {
        return quantize(kernels, name, weights, scheme, secondMoments, DAMP, false);
    }

    /**
     * Quantizes {@code weights} with the second moments that {@code statistics} holds under {@code name}, damped
     * by {@link #damping} for the rows they were recorded on, columns in index order: the one choice the
     * demo, the CLI and Spark make.
     *
     * @throws QuantizationException as {@link #quantize(QuantKernels, String, FloatTensor, QuantScheme,
     *     double[])}, also when {@code statistics} has no second moments for {@code name}
     */
    public static QuantizedTensor quantize(
            QuantKernels kernels, String name, FloatTensor weights, QuantScheme scheme, InputStatistics statistics) {
        int cols = weights.rank() == 2 ? weights.shape()[1] : 1;
        return quantize(
                kernels,
                name,
                weights,
                scheme,
                statistics.secondMoments(name),
                damping(statistics.rows(name), cols),
                false);
    }

    /**
     * As {@link #quantize(QuantKernels, String, FloatTensor, QuantScheme, double[])}, with {@code damping} (a
     * fraction of H's mean diagonal, e.g. {@link #damping}) in place of {@link #DAMP}, and with GPTQ's act-order
     * when {@code actOrder} is true: the columns quantized in order of decreasing {@code H_jj}
     * ({@link #actOrder}), the blocks staying where the format has them. On the demo's q4f:block32:f16 row
     * (damping 0.03, 327 sentences) act-order gave cosine mean / min 0.989122 / 0.913989 against 0.988476 /
     * 0.927929 in index order, so it is not the default.
     */
    public static QuantizedTensor quantize(
            QuantKernels kernels,
            String name,
            FloatTensor weights,
            QuantScheme scheme,
            double[] secondMoments,
            double damping,
            boolean actOrder) {
        if (!(damping > 0) || Double.isInfinite(damping)) {
            throw new IllegalArgumentException("GPTQ damping must be finite and > 0, is " + damping);
        }
        int[] shape = weights.shape();
        QuantRules.checkScheme(name, shape, scheme);
        QuantRules.checkFinite(name, weights.data());
        if (shape.length != 2
                || scheme.level() != QuantLevel.BLOCK
                || scheme.blockRank() != 1
                || scheme.value().isFloat()) {
            throw new QuantizationException(
                    name,
                    "GPTQ quantizes the [out, in] matrix of a linear layer with integer"
                            + " codes in blocks along its rows (e.g. q4f:block32:f16); tensor '" + name + "' has shape "
                            + Shapes.toString(shape) + " and scheme " + scheme
                            + "; use calibration IMATRIX or MSE for it");
        }
        int cols = shape[1];
        if (secondMoments == null || secondMoments.length != (long) cols * cols) {
            throw new QuantizationException(
                    name,
                    "GPTQ needs the " + cols + " x " + cols + " second moments of the"
                            + " inputs of tensor '" + name + "', got "
                            + (secondMoments == null ? "none" : secondMoments.length + " values")
                            + "; record them with InputStatistics.withSecondMoments()");
        }
        for (double v : secondMoments) {
            if (!Double.isFinite(v)) {
                throw new QuantizationException(
                        name,
                        "the second moments of the inputs of tensor '" + name + "' hold " + v
                                + "; they must be finite");
            }
        }
        Result r = values(name, weights.data(), shape[0], cols, scheme, secondMoments, damping, actOrder);
        return kernels.quantize(name, FloatTensor.of(r.values(), shape), scheme, r.scales());
    }

    /**
     * The values GPTQ rounds and the block scales, before the final encoding: what {@link #quantize(QuantKernels,
     * String, FloatTensor, QuantScheme, double[], double, boolean)} encodes once it has checked its arguments, and
     * what the tests compare with a direct implementation.
     */
    static Result values(
            String name,
            float[] x,
            int rows,
            int cols,
            QuantScheme scheme,
            double[] secondMoments,
            double damping,
            boolean actOrder) {
        int[] order = actOrder ? actOrder(secondMoments, cols) : inOrder(cols);
        return run(
                name,
                x,
                rows,
                cols,
                scheme.blockExtent(0),
                scheme.value(),
                scheme.param(),
                upperFactorOfInverse(dampedCopy(permuted(secondMoments, cols, order), cols, damping), cols),
                diagonal(secondMoments, cols),
                order);
    }

    /** H with its diagonal damped; an input never seen (H_jj = 0) gets 1 first, as GPTQ does. */
    static double[] dampedCopy(double[] h, int n) {
        return dampedCopy(h, n, DAMP);
    }

    /** As {@link #dampedCopy(double[], int)}, with {@code damping} in place of {@link #DAMP}. */
    static double[] dampedCopy(double[] h, int n, double damping) {
        double[] a = h.clone();
        double mean = 0;
        for (int j = 0; j < n; j++) {
            if (a[j * n + j] == 0) {
                a[j * n + j] = 1;
            }
            mean += a[j * n + j];
        }
        mean /= Math.max(n, 1);
        for (int j = 0; j < n; j++) {
            a[j * n + j] += damping * mean;
        }
        return a;
    }

    private static float[] diagonal(double[] h, int n) {
        float[] d = new float[n];
        for (int j = 0; j < n; j++) {
            d[j] = (float) Math.max(h[j * n + j], 0);
        }
        return d;
    }

    /**
     * The upper triangular U with {@code U^T U = A^-1} for a symmetric positive definite A. With J the
     * reversal permutation and {@code J A J = M M^T} (lower Cholesky), {@code A = R R^T} for the upper
     * {@code R = J M J}, so {@code A^-1 = R^-T R^-1} and {@code U = R^-1 = J M^-1 J}: one Cholesky and one
     * triangular inverse.
     */
    static double[] upperFactorOfInverse(double[] a, int n) {
        double[] m = new double[n * n];
        // Cholesky of the reversed matrix, row by row: m[i][k] for k <= i.
        for (int i = 0; i < n; i++) {
            for (int k = 0; k <= i; k++) {
                double s = a[(n - 1 - i) * n + (n - 1 - k)];
                for (int p = 0; p < k; p++) {
                    s -= m[i * n + p] * m[k * n + p];
                }
                if (i == k) {
                    if (!(s > 0)) {
                        throw new ArithmeticException("the damped second moment matrix is not positive definite");
                    }
                    m[i * n + i] = Math.sqrt(s);
                } else {
                    m[i * n + k] = s / m[k * n + k];
                }
            }
        }
        // Inverse of the lower triangular m, column by column.
        double[] inv = new double[n * n];
        for (int c = 0; c < n; c++) {
            inv[c * n + c] = 1 / m[c * n + c];
            for (int i = c + 1; i < n; i++) {
                double s = 0;
                for (int p = c; p < i; p++) {
                    s -= m[i * n + p] * inv[p * n + c];
                }
                inv[i * n + c] = s / m[i * n + i];
            }
        }
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                u[i * n + k] = inv[(n - 1 - i) * n + (n - 1 - k)];
            }
        }
        return u;
    }

    /**
     * GPTQ's act-order: the columns in order of decreasing {@code H_jj} (the inputs with the largest mean
     * square first, ties by index), so the columns whose error costs most are quantized while the most
     * columns are left to take their error. The blocks stay where the format has them (along the rows, in
     * index order); a block's scale is chosen when the first of its columns in this order is reached, from
     * the block's values as updated by then.
     */
    static int[] actOrder(double[] h, int n) {
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            int c = Double.compare(h[b * n + b], h[a * n + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[n];
        for (int j = 0; j < n; j++) {
            out[j] = order[j];
        }
        return out;
    }

    /** {@code h} with rows and columns in {@code order}: {@code out[t][u] = h[order[t]][order[u]]}. */
    static double[] permuted(double[] h, int n, int[] order) {
        double[] out = new double[n * n];
        for (int t = 0; t < n; t++) {
            for (int u = 0; u < n; u++) {
                out[t * n + u] = h[order[t] * n + order[u]];
            }
        }
        return out;
    }

    /**
     * The column loop with error feedback; {@code u} from {@link #upperFactorOfInverse} of H with rows and
     * columns in {@code order} (the t-th column quantized is column {@code order[t]}; the identity for GPTQ
     * without act-order). The values and scales come back in the weight's own layout.
     */
    static Result run(
            String name,
            float[] x,
            int rows,
            int cols,
            int block,
            QuantValue value,
            QuantParam param,
            double[] u,
            float[] importance,
            int[] order) {
        // w in the order the columns are quantized: w[r][t] is column order[t] of row r.
        double[] w = new double[rows * cols];
        int[] position = new int[cols];
        for (int t = 0; t < cols; t++) {
            position[order[t]] = t;
            for (int r = 0; r < rows; r++) {
                w[r * cols + t] = x[r * cols + order[t]];
            }
        }
        float[] values = new float[rows * cols];
        int blocksPerRow = (cols + block - 1) / block;
        float[] scales = new float[rows * blocksPerRow];
        boolean[] chosen = new boolean[blocksPerRow];
        boolean[] zero = new boolean[rows * blocksPerRow];
        float[] segment = new float[block];
        float[] weights = new float[block];
        float[] partials = new float[ScaleSearch.PARTIALS];
        double[] err = new double[rows];
        for (int t = 0; t < cols; t++) {
            int j = order[t];
            int b = j / block;
            if (!chosen[b]) {
                chosen[b] = true;
                int first = b * block;
                int n = Math.min(block, cols - first);
                System.arraycopy(importance, first, weights, 0, n);
                for (int r = 0; r < rows; r++) {
                    float amax = 0;
                    for (int k = 0; k < n; k++) {
                        segment[k] = (float) w[r * cols + position[first + k]];
                        amax = Math.max(amax, Math.abs(segment[k]));
                    }
                    float s0 = QuantRules.storedScale(amax, value, param);
                    if (s0 == Float.POSITIVE_INFINITY) {
                        throw new QuantizationException(
                                name,
                                "tensor '" + name + "' block [" + r + ", " + b
                                        + "] needs a scale above what " + param
                                        + " holds after GPTQ's error feedback (max |v| = "
                                        + amax + "); use a wider param such as F32");
                    }
                    zero[r * blocksPerRow + b] = amax == 0f;
                    scales[r * blocksPerRow + b] = amax == 0f
                            ? s0
                            : ScaleSearch.searchBlock(
                                    segment, weights, 0, n, amax, s0, value, param, ScaleSearch::blockError, partials);
                }
            }
            double utt = u[t * cols + t];
            for (int r = 0; r < rows; r++) {
                float s = scales[r * blocksPerRow + b];
                float v = (float) w[r * cols + t];
                // A block that was all zero when its scale was chosen keeps code 0 for every element.
                if (zero[r * blocksPerRow + b]) {
                    v = 0f;
                }
                values[r * cols + j] = v;
                double q = v == 0f ? 0 : (double) QuantRules.encode(v, s, value) * s;
                err[r] = (w[r * cols + t] - q) / utt;
            }
            for (int r = 0; r < rows; r++) {
                double e = err[r];
                int base = r * cols;
                int ub = t * cols;
                for (int k = t + 1; k < cols; k++) {
                    w[base + k] -= e * u[ub + k];
                }
            }
        }
        return new Result(values, scales);
    }

    /** The identity order: GPTQ without act-order. */
    static int[] inOrder(int n) {
        int[] out = new int[n];
        for (int j = 0; j < n; j++) {
            out[j] = j;
        }
        return out;
    }
}
