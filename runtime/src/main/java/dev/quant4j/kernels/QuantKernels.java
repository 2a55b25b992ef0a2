package dev.quant4j.kernels;

import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The quantization kernels. {@link ScalarKernels} is the reference that defines the numbers; every
 * other implementation must give bit-identical results for every input. Both apply the same rules
 * ({@link dev.quant4j.rules.QuantRules}), and each implements every method itself: the contract has no
 * default that would quietly run another implementation's code. A new kind of kernel (an integer GEMM,
 * say) is a method here and in {@code Products}, with a scalar body in {@code ScalarProducts} and a
 * vector body in {@code PanamaProducts}.
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
     * Quantizes a tensor with a scheme (min-max calibration, symmetric).
     *
     * @param name the tensor's name or field path, used in every error message
     * @throws dev.quant4j.errors.QuantizationException for non-finite input, a scale that overflows
     *         its param type, or a scheme that is invalid for the tensor's shape; nothing is returned then
     */
    QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme);

    /**
     * Quantizes a tensor with stored scales the caller chose (a scale search, for instance), one per
     * block in grid order: each block is encoded with its scale exactly as {@link #quantize(String,
     * FloatTensor, QuantScheme)} encodes it with the min-max scale, so passing the min-max scales gives
     * the same tensor. The array is copied.
     *
     * @throws dev.quant4j.errors.QuantizationException for an invalid scheme, non-finite input, a wrong
     *         number of scales, a scale that is not a non-negative value on the param type's grid, or a
     *         scale of 0 for a block that holds a value other than 0
     */
    QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme, float[] scales);

    /** Writes {@code q * s} for every element of {@code q} into {@code out[0 .. q.size())}. */
    void dequantize(QuantizedTensor q, float[] out);

    /**
     * Writes rows {@code [fromRow, toRow)} of {@code q} (a row is a run along the last dimension, as in
     * {@link dev.quant4j.tensor.BlockLayout}) into {@code out} from {@code offset}: the same floats
     * {@link #dequantize} writes for those elements, bit for bit, without a float32 copy of the rest.
     *
     * @throws IndexOutOfBoundsException if the rows are not within the tensor's
     * @throws IllegalArgumentException if {@code out} is too short from {@code offset}
     */
    void dequantizeRows(QuantizedTensor q, int fromRow, int toRow, float[] out, int offset);

    /**
     * Matrix-vector product with quantized weights {@code w [rows, cols]} and float32 activations:
     * {@code out[r] = sum_c w[r, c] * x[c]}, where {@code w[r, c]} is the dequantized weight.
     *
     * @throws IllegalArgumentException if {@code w} is not rank 2 or the lengths do not match its shape
     */
    void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism);

    /** Float32 matrix-vector product: {@code w} is row-major {@code [rows, cols]}. The baseline for speed. */
    void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism);

    /**
     * Matrix-matrix product for a batch of activations: {@code x} is row-major {@code [batch, cols]},
     * {@code out} row-major {@code [batch, rows]}; {@code out[b, r] = sum_c w[r, c] * x[b, c]}. Each
     * weight is decoded once for the whole batch.
     */
    void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism);

    /**
     * Integer matrix-vector product: the activations are quantized on the fly to 8 bits
     * ({@link dev.quant4j.rules.QuantRules#ACTIVATION_BLOCK} consecutive values share one float32 scale,
     * symmetric [-127, 127], the contract's rounding: {@link dev.quant4j.rules.QuantRules#quantizeActivations}); the products are exact integers, summed in integer lanes
     * (int32, or int16 where 4-bit weights cannot overflow it) within each run that shares both scales,
     * and those integer sums are then multiplied by the two scales and added in float32. Integer weight
     * values only (Q8F, Q8S, Q4F, Q4S, Q2F, Q2S).
     *
     * @throws IllegalArgumentException for float weight values (use {@link #matvec}) or mismatched shapes
     */
    void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism);
}
