package dev.quant4j.kernels;

import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The quantization kernels. {@link ScalarKernels} is the reference that defines the numbers; every
 * other implementation must give bit-identical results for every input.
 *
 * <p>The product kernels ({@code matvec}, {@code matmul}, {@code matvecInt8}) compute on the quantized
 * codes directly, without a float32 copy of the weights. Their weight is a rank-2 tensor laid out
 * {@code [rows, cols]} = {@code [out, in]}: {@code out[r] = sum over c of w[r, c] * x[c]}. (ONNX and
 * many PyTorch exports store a linear layer's weight as {@code [in, out]}: transpose it once before
 * quantizing.) They are not bit-identical across implementations: float sums are taken in a different
 * order, so results agree with an exact product of the dequantized weights within a small relative
 * error (see the tests for the bounds).
 */
public interface QuantKernels {
    /** A short name for logs and benchmark output, e.g. {@code scalar} or {@code panama-512}. */
    String name();

    /**
     * Quantizes a tensor with a scheme: MinMax scales (the contract's rule), or for a search calibration
     * the scales {@link dev.quant4j.calibrate.ScaleSearch} chooses, then the contract's encoding.
     *
     * @param name the tensor's name or field path, used in every error message
     * @throws dev.quant4j.quantize.QuantizationException for non-finite input, a scale that overflows
     *         its param type, or a scheme that is invalid for the tensor's shape; nothing is returned then
     */
    QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme);

    /**
     * Codes for scales chosen elsewhere (a calibration search): each element is encoded with its block's
     * stored scale by the contract's rule, {@code clamp(rint(x / s), a, b)}; blocks whose max |x| is 0
     * get code 0, as in {@link #quantize}. {@link #quantize} with MIN_MAX is this with the MinMax scales.
     *
     * @param scales one stored scale per block, row-major over the grid, each valid for the scheme
     *               ({@link dev.quant4j.format.ScaleFormat#isValidScale}); held by the result, not copied
     * @throws dev.quant4j.quantize.QuantizationException for non-finite input or a scheme invalid for the shape
     * @throws IllegalArgumentException if the scales do not fit the scheme and shape
     */
    QuantizedTensor encode(String name, FloatTensor tensor, QuantScheme scheme, float[] scales);

    /** Writes {@code q * s} for every element of {@code q} into {@code out[0 .. q.size())}. */
    void dequantize(QuantizedTensor q, float[] out);

    /**
     * Matrix-vector product with quantized weights {@code w [rows, cols]} and float32 activations:
     * {@code out[r] = sum_c w[r, c] * x[c]}, where {@code w[r, c]} is the dequantized weight.
     *
     * @throws IllegalArgumentException if {@code w} is not rank 2 or the lengths do not match its shape
     */
    default void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        ScalarProducts.matvec(w, x, out, parallelism);
    }

    /** Float32 matrix-vector product: {@code w} is row-major {@code [rows, cols]}. The baseline for speed. */
    default void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism) {
        ScalarProducts.matvec(w, rows, cols, x, out, parallelism);
    }

    /**
     * Matrix-matrix product for a batch of activations: {@code x} is row-major {@code [batch, cols]},
     * {@code out} row-major {@code [batch, rows]}; {@code out[b, r] = sum_c w[r, c] * x[b, c]}. Each
     * weight is decoded once for the whole batch.
     */
    default void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism) {
        ScalarProducts.matmul(w, x, batch, out, parallelism);
    }

    /**
     * Integer matrix-vector product: the activations are quantized on the fly to 8 bits
     * ({@link ScalarProducts#ACTIVATION_BLOCK} consecutive values share one float32 scale, symmetric
     * [-127, 127], the contract's rounding); the products are exact integers, summed in integer lanes
     * (int32, or int16 where 4-bit weights cannot overflow it) within each run that shares both scales,
     * and those integer sums are then multiplied by the two scales and added in float32. Integer weight
     * values only (Q8F, Q8S, Q4F, Q4S, Q2F, Q2S).
     *
     * @throws IllegalArgumentException for float weight values (use {@link #matvec}) or mismatched shapes
     */
    default void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        ScalarProducts.matvecInt8(w, x, out, parallelism);
    }
}
