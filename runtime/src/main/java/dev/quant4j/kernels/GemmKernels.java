package dev.quant4j.kernels;

import dev.quant4j.tensor.QuantizedTensor;

/**
 * Batched products of a linear layer with all tokens of a sentence at once (matrix-matrix instead of one
 * matrix-vector product per token). Weights are {@code [rows, cols]} = {@code [out, in]}, activations
 * {@code x} and results row-major {@code [tokens, cols]} and {@code [tokens, rows]}:
 * {@code out[t, r] = sum over c of w[r, c] * x[t, c]}.
 *
 * <p>Every result is defined element by element in docs/NUMERICS.md ("Batched matrix products"), with a
 * summation order that does not depend on the vector width, the tiling or the thread count: {@link
 * ScalarGemm} states it one element at a time and is the reference; {@code PanamaGemm} gives the same
 * bits at 128, 256 and 512 bits.
 */
public interface GemmKernels {
    /** A short name for logs and benchmark output. */
    String name();

    /**
     * Float32 product: {@code out[t, r]} is the chain {@code acc = fma(w[r, c], x[t, c], acc)} over
     * {@code c = 0 .. cols-1} from {@code acc = +0}.
     *
     * @param w row-major {@code [rows, cols]}
     */
    void matmul(float[] w, int rows, int cols, float[] x, int tokens, float[] out, Parallelism parallelism);

    /**
     * Float32 product with quantized weights: the same chain as {@link #matmul(float[], int, int, float[], int,
     * float[], Parallelism)} on the dequantized weights {@code q * s} (the floats {@link QuantKernels#dequantize}
     * gives), so it equals a float32 model whose weights were dequantized, bit for bit. No float32 copy of the
     * whole matrix is made.
     */
    void matmul(QuantizedTensor w, float[] x, int tokens, float[] out, Parallelism parallelism);

    /**
     * Quantizes activations {@code [tokens, cols]} per token, one scale per run of {@code block} columns
     * ({@code block = cols}: per token): the contract's Q8S quantization with F32 params,
     * {@code s = amax / 127}, {@code q = clamp(rint(x / s), -127, 127)}; an all-zero run has scale 0.
     *
     * @throws dev.quant4j.errors.NonFiniteValueException for a NaN or infinite activation
     */
    Int8Activations quantizeActivations(float[] x, int tokens, int cols, int block);

    /**
     * Integer product (W8A8 for Q8S/Q8F weights, W4A8 for Q4S/Q4F; Q2 too): for each token and row, the
     * products of codes within each run of columns that shares one weight scale and one activation scale are
     * summed exactly in integers ({@code D}), then {@code acc = fma((float) D, s_w * s_a, acc)} over the runs
     * in column order from {@code acc = +0}.
     *
     * @throws IllegalArgumentException for float codes, a weight that is not rank 2, or mismatched shapes
     */
    void matmulInt8(QuantizedTensor w, Int8Activations a, float[] out, Parallelism parallelism);
}
