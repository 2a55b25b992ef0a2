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
     * is 0.01). 0.1 because the demo's 70 calibration sentences (about 1,100 tokens) give a poorly
     * conditioned H for the 1536-input layers; measured on the demo's q4f:block32:f16 row, cosine mean /
     * min: 0.01 gives 0.9839 / 0.860, 0.1 gives 0.9857 / 0.908, 0.3 gives 0.9850 / 0.895.
     */
    public static final double DAMP = 0.1;

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
        Result r = run(
                name,
                weights.data(),
                shape[0],
                cols,
                scheme.blockExtent(0),
                scheme.value(),
                scheme.param(),
                upperFactorOfInverse(dampedCopy(secondMoments, cols), cols),
                diagonal(secondMoments, cols));
        return kernels.quantize(name, FloatTensor.of(r.values(), shape), scheme, r.scales());
    }

    /** H with its diagonal damped; an input never seen (H_jj = 0) gets 1 first, as GPTQ does. */
    static double[] dampedCopy(double[] h, int n) {
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
            a[j * n + j] += DAMP * mean;
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

    /** The column loop with error feedback; {@code u} from {@link #upperFactorOfInverse}. */
    static Result run(
            String name,
            float[] x,
            int rows,
            int cols,
            int block,
            QuantValue value,
            QuantParam param,
            double[] u,
            float[] importance) {
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = x[i];
        }
        float[] values = new float[rows * cols];
        int blocksPerRow = (cols + block - 1) / block;
        float[] scales = new float[rows * blocksPerRow];
        boolean[] zero = new boolean[rows];
        float[] segment = new float[block];
        float[] weights = new float[block];
        float[] partials = new float[ScaleSearch.PARTIALS];
        double[] err = new double[rows];
        for (int j = 0; j < cols; j++) {
            int b = j / block;
            if (j % block == 0) {
                int n = Math.min(block, cols - j);
                System.arraycopy(importance, j, weights, 0, n);
                for (int r = 0; r < rows; r++) {
                    float amax = 0;
                    for (int k = 0; k < n; k++) {
                        segment[k] = (float) w[r * cols + j + k];
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
                    zero[r] = amax == 0f;
                    scales[r * blocksPerRow + b] = amax == 0f
                            ? s0
                            : ScaleSearch.searchBlock(
                                    segment, weights, 0, n, amax, s0, value, param, ScaleSearch::blockError, partials);
                }
            }
            double ujj = u[j * cols + j];
            for (int r = 0; r < rows; r++) {
                float s = scales[r * blocksPerRow + b];
                float v = (float) w[r * cols + j];
                // A block that was all zero when its scale was chosen keeps code 0 for every element.
                if (zero[r]) {
                    v = 0f;
                }
                values[r * cols + j] = v;
                double q = v == 0f ? 0 : (double) QuantRules.encode(v, s, value) * s;
                err[r] = (w[r * cols + j] - q) / ujj;
            }
            for (int r = 0; r < rows; r++) {
                double e = err[r];
                int base = r * cols;
                int ub = j * cols;
                for (int k = j + 1; k < cols; k++) {
                    w[base + k] -= e * u[ub + k];
                }
            }
        }
        return new Result(values, scales);
    }

    /** For tests: the values and scales without the final encoding. */
    static Result values(
            float[] x, int rows, int cols, int block, QuantValue value, QuantParam param, double[] secondMoments) {
        return run(
                "t",
                x,
                rows,
                cols,
                block,
                value,
                param,
                upperFactorOfInverse(dampedCopy(secondMoments, cols), cols),
                diagonal(secondMoments, cols));
    }
}
