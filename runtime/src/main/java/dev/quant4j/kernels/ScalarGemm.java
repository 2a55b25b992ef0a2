package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * The reference batched products: each output element computed on its own, exactly as
 * docs/NUMERICS.md ("Batched matrix products") states it. {@code PanamaGemm} is tested against this
 * class bit for bit.
 */
final class ScalarGemm implements GemmKernels {
    static final ScalarGemm INSTANCE = new ScalarGemm();

    /**
     * The most columns whose int8 x int8 products an int32 sum holds whatever the codes:
     * {@code floor((2^31 - 1) / (128 * 127))}.
     */
    static final int MAX_INT8_COLS = Integer.MAX_VALUE / (128 * 127);

    /** The same for affine weights, whose codes reach 255: {@code floor((2^31 - 1) / (255 * 127))}. */
    static final int MAX_AFFINE_INT8_COLS = Integer.MAX_VALUE / (255 * 127);

    private ScalarGemm() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmul(float[] w, int rows, int cols, float[] x, int tokens, float[] out, Parallelism parallelism) {
        checkDense(w, rows, cols, x, tokens, out);
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int t = 0; t < tokens; t++) {
                    out[t * rows + r] = dot(w, r * cols, x, t * cols, cols);
                }
            }
        });
    }

    /** The float32 chain of the contract: {@code acc = fma(a[i], b[i], acc)} in order from +0. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float acc = 0f;
        for (int i = 0; i < n; i++) {
            acc = Math.fma(a[ao + i], b[bo + i], acc);
        }
        return acc;
    }

    @Override
    public void matmul(QuantizedTensor w, float[] x, int tokens, float[] out, Parallelism parallelism) {
        int[] rc = checkQuantized(w, x, tokens, out);
        int rows = rc[0];
        int cols = rc[1];
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                Kernels.scalar().dequantizeRows(w, r, r + 1, row, 0); // q * s, as dequantize gives it
                for (int t = 0; t < tokens; t++) {
                    out[t * rows + r] = dot(row, 0, x, t * cols, cols);
                }
            }
        });
    }

    @Override
    public Int8Activations quantizeActivations(float[] x, int tokens, int cols, int block) {
        return quantizeActivationsWith(Kernels.scalar(), x, tokens, cols, block);
    }

    /**
     * The activation rule is the contract's Q8S quantization of a {@code [tokens, cols]} tensor with one
     * F32 scale per row (block {@code [1, cols]}): the quantize kernels already implement it, bit for bit at
     * every width, so the products reuse them instead of restating it.
     */
    static Int8Activations quantizeActivationsWith(QuantKernels kernels, float[] x, int tokens, int cols, int block) {
        if (tokens < 1 || cols < 1 || (long) tokens * cols != x.length) {
            throw new IllegalArgumentException("activations of length " + x.length + " are not [" + tokens + ", " + cols
                    + "] (tokens x cols, both at least 1)");
        }
        if (block < 1 || block > cols) {
            throw new IllegalArgumentException("an activation block of " + block + " columns does not fit rows of "
                    + cols + "; give 1 to " + cols);
        }
        QuantScheme perToken = QuantScheme.of(
                QuantValue.Q8S,
                QuantLevel.BLOCK,
                new int[] {block},
                QuantStore.NATIVE,
                QuantParam.F32,
                QuantScheme.DEFAULT.mode(),
                QuantScheme.DEFAULT.calibration());
        QuantizedTensor q = kernels.quantize("activations", FloatTensor.of(x, tokens, cols), perToken);
        return new Int8Activations(q.codes(), q.scales(), tokens, cols, block);
    }

    @Override
    public Int8Activations quantizeActivationsStatic(float[] x, int tokens, int cols, float scale) {
        byte[] codes = staticCodes(x, tokens, cols, scale);
        if (scale > 0f) {
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (byte) dev.quant4j.rules.QuantRules.encode(x[i], scale, QuantValue.Q8S);
            }
        }
        return staticActivations(codes, tokens, cols, scale);
    }

    /** Checks a static quantization's arguments; the zeroed codes array to fill. */
    static byte[] staticCodes(float[] x, int tokens, int cols, float scale) {
        if (tokens < 1 || cols < 1 || (long) tokens * cols != x.length) {
            throw new IllegalArgumentException("activations of length " + x.length + " are not [" + tokens + ", " + cols
                    + "] (tokens x cols, both at least 1)");
        }
        if (!(scale >= 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException(
                    "a static activation scale must be finite and >= 0, got " + scale + "; recalibrate");
        }
        dev.quant4j.rules.QuantRules.checkFinite("activations", x);
        return new byte[x.length];
    }

    /** Static codes as activations with one scale per token, the frozen one, over whole rows. */
    static Int8Activations staticActivations(byte[] codes, int tokens, int cols, float scale) {
        float[] scales = new float[tokens];
        java.util.Arrays.fill(scales, scale);
        return new Int8Activations(codes, scales, tokens, cols, cols);
    }

    @Override
    public void matmulInt8(QuantizedTensor w, Int8Activations a, float[] out, Parallelism parallelism) {
        int[] rc = checkInt8(w, a, out);
        int rows = rc[0];
        int cols = rc[1];
        int tokens = a.tokens();
        BlockLayout layout = w.layout();
        int be = layout.lastBlockExtent();
        int ba = a.block();
        int nab = a.blocksPerToken();
        int bits = w.scheme().value().bits();
        byte[] codes = w.codes();
        float[] sw = w.scales();
        byte[] qa = a.codes();
        float[] sa = a.scales();
        float[] mw = w.offsets();
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = layout.rowBlockBase(r);
                for (int t = 0; t < tokens; t++) {
                    float acc = 0f;
                    for (int c0 = 0; c0 < cols; ) {
                        int wb = c0 / be;
                        int ab = c0 / ba;
                        int end = Math.min(Math.min((wb + 1) * be, (ab + 1) * ba), cols);
                        int d = 0;
                        int asum = 0;
                        for (int c = c0; c < end; c++) {
                            int q = mw == null
                                    ? Packing.getSigned(codes, r * cols + c, bits)
                                    : Packing.getRaw(codes, r * cols + c, bits);
                            d += q * qa[t * cols + c];
                            asum += qa[t * cols + c];
                        }
                        acc = Math.fma((float) d, sw[base + wb] * sa[t * nab + ab], acc);
                        if (mw != null) {
                            // Affine: sum (q d + m) a s_a = d s_a D + m s_a sum(a), the offset's term second.
                            acc = Math.fma((float) asum, mw[base + wb] * sa[t * nab + ab], acc);
                        }
                        c0 = end;
                    }
                    out[t * rows + r] = acc;
                }
            }
        });
    }

    // ------------------------------------------------------------------ checks shared by every implementation

    static void checkDense(float[] w, int rows, int cols, float[] x, int tokens, float[] out) {
        if (rows < 0 || cols < 0 || (long) rows * cols != w.length) {
            throw new IllegalArgumentException("a float32 weight of length " + w.length + " is not [" + rows + ", "
                    + cols + "]; give the matrix's row and column counts");
        }
        KernelArguments.checkLengths(rows, cols, x, tokens, out, () -> "a float32 weight [" + rows + ", " + cols + "]");
    }

    static int[] checkQuantized(QuantizedTensor w, float[] x, int tokens, float[] out) {
        return KernelArguments.checkMatvec(w, x, tokens, out);
    }

    static int[] checkInt8(QuantizedTensor w, Int8Activations a, float[] out) {
        if (w.scheme().value().isFloat()) {
            throw new IllegalArgumentException("matmulInt8 multiplies integer codes; " + w + " has float codes ("
                    + w.scheme().value() + "); use matmul with float32 activations");
        }
        int[] shape = w.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("a matrix product needs a rank-2 weight [rows, cols] (out x in); got "
                    + w + "; reshape it to 2 dimensions");
        }
        if (a.cols() != shape[1]) {
            throw new IllegalArgumentException("activations with " + a.cols() + " columns do not match " + w
                    + ": it has " + shape[1] + " columns (in)");
        }
        if (w.isAffine() && shape.length == 2 && shape[1] > MAX_AFFINE_INT8_COLS) {
            throw new IllegalArgumentException(w + " has " + shape[1] + " columns; an exact int32 sum of unsigned"
                    + " 8-bit by int8 products holds at most " + MAX_AFFINE_INT8_COLS + "; split the layer");
        }
        if (shape[1] > MAX_INT8_COLS) {
            throw new IllegalArgumentException(w + " has " + shape[1] + " columns; an exact int32 sum of int8"
                    + " products holds at most " + MAX_INT8_COLS + "; split the layer");
        }
        if ((long) out.length != (long) a.tokens() * shape[0]) {
            throw new IllegalArgumentException("output of length " + out.length + " does not match " + w
                    + ": expected " + a.tokens() + " x " + shape[0] + " = " + (long) a.tokens() * shape[0]
                    + " (tokens x rows)");
        }
        return shape;
    }
}
