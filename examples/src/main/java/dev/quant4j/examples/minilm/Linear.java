package dev.quant4j.examples.minilm;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.tensor.QuantizedTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The one place where a weight matrix meets activations: {@code y = x W^T + b} with {@code W} stored
 * {@code [out, in]} (PyTorch's layout; quantization blocks then run along {@code in}, the dot product's
 * dimension, as fused kernels need).
 *
 * <p>Both model variants end here with the same float values in the same order, so a plain array
 * dequantized by the agent and a quantized holder give bit-identical results: the holder path
 * dequantizes one row at a time ({@link QuantKernels#dequantizeRows}, bit-identical to the runtime's dequantize) into
 * a scratch row and then runs exactly the code the array path runs on that row. That keeps the
 * holder's memory at its packed size while it computes (no float32 copy of the matrix, not even a
 * cached one).
 *
 * <p>The dot product is summed lane-wise with FMAs and then over the lanes in a fixed order; the
 * Vector API's {@code reduceLanes(ADD)} is not used because its summation order is left to the
 * implementation (interpreted and compiled code may differ), and the two variants must agree exactly.
 */
final class Linear {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private Linear() {
    }

    /**
     * Applies a linear layer held as a plain array.
     *
     * @param weights row-major {@code [out, in]}
     * @param bias    {@code [out]}, or null for none
     * @param x       row-major {@code [n, in]}
     * @return row-major {@code [n, out]}
     */
    static float[] apply(String name, float[] weights, int out, int in, float[] bias, float[] x, int n) {
        if (weights == null) {
            throw new IllegalStateException("weight '" + name + "' is null: the model was built without weights and"
                    + " none were loaded (import a state, or build it from the ONNX file)");
        }
        if (weights.length != (long) out * in) {
            throw new IllegalStateException("weight '" + name + "' holds " + weights.length + " floats, but ["
                    + out + ", " + in + "] needs " + (long) out * in);
        }
        checkInput(name, in, bias, out, x, n);
        float[] y = new float[n * out];
        float[] lanes = new float[4 * LANES];
        for (int r = 0; r < out; r++) {
            rowTimesTokens(weights, r * in, in, x, n, bias == null ? 0f : bias[r], y, out, r, lanes);
        }
        return y;
    }

    /** Applies a linear layer held as a holder of shape {@code [out, in]}, quantized or not. */
    static float[] apply(String name, QuantizableTensor weights, float[] bias, float[] x, int n) {
        if (weights == null) {
            throw new IllegalStateException("weight '" + name + "' is null: the model was built without weights and"
                    + " none were loaded (import a state, or build it from the ONNX file)");
        }
        int[] shape = weights.shape();
        if (shape.length != 2) {
            throw new IllegalStateException("weight '" + name + "' must be [out, in], has shape " + Arrays.toString(shape));
        }
        int out = shape[0];
        int in = shape[1];
        if (!weights.isQuantized()) {
            return apply(name, weights.floats().data(), out, in, bias, x, n);
        }
        checkInput(name, in, bias, out, x, n);
        QuantKernels kernels = Kernels.active();
        QuantizedTensor q = weights.quantized();
        float[] row = new float[in];
        float[] y = new float[n * out];
        float[] lanes = new float[4 * LANES];
        for (int r = 0; r < out; r++) {
            kernels.dequantizeRows(q, r, r + 1, row, 0);
            rowTimesTokens(row, 0, in, x, n, bias == null ? 0f : bias[r], y, out, r, lanes);
        }
        return y;
    }

    /** Rows of a quantized table, dequantized: {@code [ids.length, rowLength]}. */
    static float[] gather(QuantizedTensor table, int[] ids) {
        QuantKernels kernels = Kernels.active();
        int len = table.layout().rowLength();
        float[] out = new float[ids.length * len];
        for (int t = 0; t < ids.length; t++) {
            kernels.dequantizeRows(table, ids[t], ids[t] + 1, out, t * len);
        }
        return out;
    }

    /** Rows of a float table {@code [*, len]}: {@code [ids.length, len]}. */
    static float[] gather(float[] table, int len, int[] ids) {
        float[] out = new float[ids.length * len];
        for (int t = 0; t < ids.length; t++) {
            System.arraycopy(table, ids[t] * len, out, t * len, len);
        }
        return out;
    }

    private static void checkInput(String name, int in, float[] bias, int out, float[] x, int n) {
        if (x.length != n * in) {
            throw new IllegalArgumentException("input to '" + name + "' has " + x.length + " floats, not " + n
                    + " tokens x " + in);
        }
        if (bias != null && bias.length != out) {
            throw new IllegalStateException("bias of '" + name + "' has " + bias.length + " floats, the weight has "
                    + out + " rows");
        }
    }

    /**
     * {@code y[t][r] = bias + dot(w[off .. off + in), x[t])} for every token: one weight row, fetched once
     * and used for all tokens while it sits in L1, four tokens at a time so that their four independent
     * sums keep the FMA units busy. Every sum is formed the same way whether its token is one of four or
     * alone, so the result never depends on the grouping.
     */
    private static void rowTimesTokens(float[] w, int off, int in, float[] x, int n, float bias, float[] y, int out,
                                       int r, float[] lanes) {
        int t = 0;
        for (; t + 4 <= n; t += 4) {
            dot4(w, off, x, t * in, in, lanes);
            for (int k = 0; k < 4; k++) {
                y[(t + k) * out + r] = bias + sum(lanes, k, w, off, x, (t + k) * in, in);
            }
        }
        for (; t < n; t++) {
            y[t * out + r] = bias + dot(w, off, x, t * in, in, lanes);
        }
    }

    /**
     * The vector part of four dot products of {@code a[ao..]} with the four rows of {@code b} starting at
     * {@code bo}, {@code bo + length}, ...: lane sums go to {@code lanes[k * LANES ..]}.
     */
    private static void dot4(float[] a, int ao, float[] b, int bo, int length, float[] lanes) {
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        FloatVector acc2 = FloatVector.zero(SPECIES);
        FloatVector acc3 = FloatVector.zero(SPECIES);
        int b1 = bo + length;
        int b2 = b1 + length;
        int b3 = b2 + length;
        for (int i = 0; i <= length - LANES; i += LANES) {
            FloatVector va = FloatVector.fromArray(SPECIES, a, ao + i);
            acc0 = va.fma(FloatVector.fromArray(SPECIES, b, bo + i), acc0);
            acc1 = va.fma(FloatVector.fromArray(SPECIES, b, b1 + i), acc1);
            acc2 = va.fma(FloatVector.fromArray(SPECIES, b, b2 + i), acc2);
            acc3 = va.fma(FloatVector.fromArray(SPECIES, b, b3 + i), acc3);
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, LANES);
        acc2.intoArray(lanes, 2 * LANES);
        acc3.intoArray(lanes, 3 * LANES);
    }

    /** Finishes dot product {@code k} of {@link #dot4}: the lanes in order, then the scalar tail. */
    private static float sum(float[] lanes, int k, float[] a, int ao, float[] b, int bo, int length) {
        float sum = 0f;
        for (int l = k * LANES; l < (k + 1) * LANES; l++) {
            sum += lanes[l];
        }
        for (int i = length - length % LANES; i < length; i++) {
            sum = Math.fma(a[ao + i], b[bo + i], sum);
        }
        return sum;
    }

    /**
     * {@code sum of a[ao + i] * b[bo + i]}: one vector accumulator of FMAs, its lanes summed in order, then
     * the scalar tail with FMAs. Deterministic (see the class comment), and the same sum {@link #dot4}
     * forms for each of its four.
     */
    static float dot(float[] a, int ao, float[] b, int bo, int length, float[] lanes) {
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int i = 0; i <= length - LANES; i += LANES) {
            acc = FloatVector.fromArray(SPECIES, a, ao + i).fma(FloatVector.fromArray(SPECIES, b, bo + i), acc);
        }
        acc.intoArray(lanes, 0);
        return sum(lanes, 0, a, ao, b, bo, length);
    }
}
