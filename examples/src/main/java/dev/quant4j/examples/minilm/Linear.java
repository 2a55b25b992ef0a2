package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.io.gguf.GgmlQuants;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.Int8Activations;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;

/**
 * The one place where a weight matrix meets activations: {@code y = x W^T + b} with {@code W} stored
 * {@code [out, in]} (PyTorch's layout; quantization blocks then run along {@code in}, the dot product's
 * dimension, as the kernels need).
 *
 * <p>Every token of the sentence goes through one batched product ({@link Gemm}): a float32 GEMM for
 * float weights and for quantized weights with float32 activations, an integer GEMM (W8A8, W4A8) with
 * activations quantized per token when the layer runs with {@link ActivationMode#DYNAMIC}. The float32
 * GEMM defines each output as one sequential FMA chain over {@code in}, and the holder path dequantizes
 * to exactly the floats the agent's arrays hold, so a plain array dequantized by the agent and a
 * quantized holder give bit-identical results (and so do all vector widths: docs/NUMERICS.md). The
 * holder's memory stays at its packed size: the kernels dequantize a few rows at a time.
 *
 * <p>The kernels run on the calling thread; the demo's threads embed different sentences.
 */
final class Linear {

    /**
     * Columns per activation scale with dynamic quantization: 32, as the weights' blocks. One scale per whole
     * token measured worse here (q8s:block32, 60 sentences: cosine mean 0.99726, min 0.98170): a few hidden
     * dimensions of BERT-style models carry outliers that flatten a token-wide int8 grid.
     */
    static final int ACTIVATION_BLOCK = 32;

    private Linear() {}

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
            throw new IllegalStateException("weight '" + name + "' holds " + weights.length + " floats, but [" + out
                    + ", " + in + "] needs " + (long) out * in);
        }
        checkInput(name, in, bias, out, x, n);
        InputRecorder.observe(weights, x, n, in);
        float[] y = new float[n * out];
        Gemm.active().matmul(weights, out, in, x, n, y, Parallelism.single());
        return addBias(y, bias, n, out);
    }

    /** Applies a linear layer held as a holder of shape {@code [out, in]}, activations as its scheme says. */
    static float[] apply(String name, QuantizableTensor weights, float[] bias, float[] x, int n) {
        return apply(name, weights, bias, x, n, null, null);
    }

    /**
     * Applies a linear layer held as a holder of shape {@code [out, in]}, its input activations quantized as
     * {@code activations} says, or, when it is null, as the quantized weight's scheme says (float weights
     * always take float32 activations). Static activations take the one frozen scale {@code scales} holds
     * for {@code name} (the weight's field path then), and are refused naming it when there is none.
     */
    static float[] apply(
            String name,
            QuantizableTensor weights,
            float[] bias,
            float[] x,
            int n,
            ActivationMode activations,
            ActivationScales scales) {
        if (weights == null) {
            throw new IllegalStateException("weight '" + name + "' is null: the model was built without weights and"
                    + " none were loaded (import a state, or build it from the ONNX file)");
        }
        int[] shape = weights.shape();
        if (shape.length != 2) {
            throw new IllegalStateException(
                    "weight '" + name + "' must be [out, in], has shape " + Arrays.toString(shape));
        }
        int out = shape[0];
        int in = shape[1];
        if (!weights.isQuantized()) {
            return apply(name, weights.floats().data(), out, in, bias, x, n);
        }
        checkInput(name, in, bias, out, x, n);
        QuantizedTensor q = weights.quantized();
        float[] y = new float[n * out];
        switch (activations != null ? activations : q.scheme().activations()) {
            case NONE -> Gemm.active().matmul(q, x, n, y, Parallelism.single());
            case DYNAMIC -> {
                requireIntegerCodes(name, q, "dynamic");
                Int8Activations a = Gemm.active().quantizeActivations(x, n, in, Math.min(ACTIVATION_BLOCK, in));
                Gemm.active().matmulInt8(q, a, y, Parallelism.single());
            }
            case STATIC -> {
                requireIntegerCodes(name, q, "static");
                float scale = (scales != null ? scales : ActivationScales.NONE).require(name);
                Int8Activations a = Gemm.active().quantizeActivationsStatic(x, n, in, scale);
                Gemm.active().matmulInt8(q, a, y, Parallelism.single());
            }
        }
        return addBias(y, bias, n, out);
    }

    /**
     * A linear layer as llama.cpp's CPU backend computes it for a weight of ggml type {@code type}: each
     * token's activations quantized by ggml's rule for the type's product ({@code GgmlQuants}: Q8_0 blocks
     * of 32 with f16 scales for Q8_0, Q4_0 and Q5_0 weights; Q8_K blocks of 256 for Q4_K and Q6_K). A
     * weight with integer codes in blocks of 32 along its rows (our Q8_0 and Q4_0 twins) multiplies the
     * int8 codes in the integer product, our W8A8 path; any other weight (float32, such as K-quant blocks
     * dequantized) multiplies the dequantized activations {@code q * d} in the float32 product. Only the
     * summation order then differs from ggml's.
     */
    static float[] applyGgml(String name, QuantizableTensor weights, float[] bias, float[] x, int n, GgmlType type) {
        int in = weights.shape()[1];
        checkInput(name, in, null, weights.shape()[0], x, n);
        boolean kQuant = type == GgmlType.Q4_K || type == GgmlType.Q6_K;
        int block = kQuant ? 256 : 32;
        if (in % block != 0) {
            throw new IllegalStateException("weight '" + name + "' has rows of " + in + ", which ggml's "
                    + type.ggmlName() + " product cannot take (its activations come in blocks of " + block + ")");
        }
        byte[] codes = new byte[x.length];
        float[] scales = new float[x.length / block];
        if (kQuant) {
            GgmlQuants.q8_KActivations(x, 0, x.length, codes, scales, 0);
        } else {
            GgmlQuants.q8_0Activations(x, 0, x.length, codes, scales, 0);
        }
        if (!kQuant
                && weights.isQuantized()
                && !weights.quantized().scheme().value().isFloat()
                && weights.quantized().layout().lastBlockExtent() == block) {
            QuantizedTensor q = weights.quantized();
            float[] y = new float[n * weights.shape()[0]];
            Gemm.active().matmulInt8(q, new Int8Activations(codes, scales, n, in, block), y, Parallelism.single());
            return addBias(y, bias, n, weights.shape()[0]);
        }
        float[] xq = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xq[i] = codes[i] * scales[i / block];
        }
        return apply(name, weights, bias, xq, n, ActivationMode.NONE, null);
    }

    private static void requireIntegerCodes(String name, QuantizedTensor q, String mode) {
        if (q.scheme().value().isFloat()) {
            throw new IllegalStateException(
                    "weight '" + name + "' has float codes (" + q.scheme().value()
                            + "); " + mode + " int8 activations multiply integer codes only: use an integer scheme"
                            + " (q8s, q4f, ...) or activations none");
        }
    }

    private static float[] addBias(float[] y, float[] bias, int n, int out) {
        if (bias != null) {
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < out; r++) {
                    y[t * out + r] += bias[r];
                }
            }
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
            throw new IllegalArgumentException(
                    "input to '" + name + "' has " + x.length + " floats, not " + n + " tokens x " + in);
        }
        if (bias != null && bias.length != out) {
            throw new IllegalStateException(
                    "bias of '" + name + "' has " + bias.length + " floats, the weight has " + out + " rows");
        }
    }
}
