package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;

/**
 * Plain-Java product kernels on quantized weights: what runs when SIMD is off, and a readable
 * statement of what the SIMD versions compute. Each weight is dequantized in a register
 * ({@code q * s}, or {@code fma(q, d, m)} when affine: the same float32 value {@link QuantKernels#dequantize} gives) and multiplied at once.
 */
final class ScalarProducts implements Products {
    static final ScalarProducts INSTANCE = new ScalarProducts();

    private ScalarProducts() {}

    @Override
    public void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        int[] rc = KernelArguments.checkMatvec(w, x, 1, out);
        matmulRows(w, rc[1], x, 1, out, rc[0], parallelism);
    }

    @Override
    public void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism) {
        int[] rc = KernelArguments.checkMatvec(w, x, batch, out);
        matmulRows(w, rc[1], x, batch, out, rc[0], parallelism);
    }

    private static void matmulRows(
            QuantizedTensor w, int cols, float[] x, int batch, float[] out, int rows, Parallelism parallelism) {
        BlockLayout layout = w.layout();
        QuantValue value = w.scheme().value();
        byte[] codes = w.codes();
        float[] scales = w.scales();
        float[] offsets = w.offsets();
        int be = layout.lastBlockExtent();
        parallelism.forRows(rows, (long) cols * batch, (from, to) -> {
            float[] acc = new float[batch];
            for (int r = from; r < to; r++) {
                Arrays.fill(acc, 0f);
                int base = layout.rowBlockBase(r);
                int row = r * cols;
                for (int c0 = 0, b = base; c0 < cols; c0 += be, b++) {
                    float s = scales[b];
                    float m = offsets == null ? 0f : offsets[b];
                    int end = Math.min(c0 + be, cols);
                    for (int c = c0; c < end; c++) {
                        float wv = offsets == null
                                ? QuantRules.codeValue(codes, row + c, value) * s
                                : QuantRules.affineValue(QuantRules.affineCode(codes, row + c, value), s, m);
                        for (int k = 0; k < batch; k++) {
                            acc[k] += wv * x[k * cols + c];
                        }
                    }
                }
                for (int k = 0; k < batch; k++) {
                    out[k * rows + r] = acc[k];
                }
            }
        });
    }

    @Override
    public void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism) {
        KernelArguments.checkDense(w, rows, cols, x, out);
        parallelism.forRows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                float acc = 0f;
                int row = r * cols;
                for (int c = 0; c < cols; c++) {
                    acc += w[row + c] * x[c];
                }
                out[r] = acc;
            }
        });
    }

    @Override
    public void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        KernelArguments.checkIntegerWeights(w);
        int[] rc = KernelArguments.checkMatvec(w, x, 1, out);
        QuantRules.Int8Activations a = QuantRules.quantizeActivations(x);
        matvecInt8Rows(w, a, rc[0], rc[1], out, parallelism);
    }

    /**
     * The integer product: for each row, each run of columns that shares one weight scale and one
     * activation scale is summed exactly in int32, then multiplied by both scales and added in float32.
     */
    static void matvecInt8Rows(
            QuantizedTensor w, QuantRules.Int8Activations a, int rows, int cols, float[] out, Parallelism parallelism) {
        BlockLayout layout = w.layout();
        byte[] codes = w.codes();
        float[] scales = w.scales();
        int bits = w.scheme().value().bits();
        int be = layout.lastBlockExtent();
        byte[] qa = a.codes();
        float[] sa = a.scales();
        float[] offsets = w.offsets();
        parallelism.forRows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = layout.rowBlockBase(r);
                int row = r * cols;
                float acc = 0f;
                int c = 0;
                while (c < cols) {
                    int wb = c / be;
                    int ab = c / QuantRules.ACTIVATION_BLOCK;
                    int end = Math.min(Math.min((wb + 1) * be, (ab + 1) * QuantRules.ACTIVATION_BLOCK), cols);
                    int dot = 0;
                    int asum = 0;
                    for (; c < end; c++) {
                        int q = offsets == null
                                ? Packing.getSigned(codes, row + c, bits)
                                : Packing.getRaw(codes, row + c, bits);
                        dot += q * qa[c];
                        asum += qa[c];
                    }
                    acc += dot * (scales[base + wb] * sa[ab]);
                    if (offsets != null) {
                        acc += asum * (offsets[base + wb] * sa[ab]);
                    }
                }
                out[r] = acc;
            }
        });
    }
}
