package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.TestFloats;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/**
 * The batched products: the Vector API kernels against the scalar reference bit for bit (surefire runs
 * this at the widest width, at 256 and 128 bits, and with the scalar kernels forced), over odd shapes
 * (1 token, token counts around the lane count, rows not a multiple of the tile, blocks cut short by the
 * row's end, runs longer than the exact float chain), thread counts, and the reference itself against
 * hand-computed and exact (long / double) results.
 */
class GemmTest {
    private static final GemmKernels REF = Gemm.scalar();
    private static final GemmKernels SIMD = PanamaGemm.INSTANCE;
    private static final int[] TOKENS = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 14, 15, 16, 17, 20, 24, 25, 31, 33, 69};
    private static final QuantValue[] INTEGER = {
        QuantValue.Q8S, QuantValue.Q8F, QuantValue.Q4S, QuantValue.Q4F, QuantValue.Q2S, QuantValue.Q2F
    };

    private static int cols(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> 32 * (1 + r.nextInt(16));
            case 1 -> 1 + r.nextInt(80);
            case 2 -> 384;
            case 3 -> 1025 + r.nextInt(1100); // runs longer than the exact chunk at tensor / row level
            default -> 16 * (1 + r.nextInt(30)) + r.nextInt(3) - 1;
        };
    }

    /** A row length for the integer products: {@link #cols}, or a quarter of the time the nibble-order fast path. */
    private static int integerCols(SplittableRandom r) {
        int cols = cols(r);
        if (r.nextInt(4) == 0) {
            cols = 32 * (1 + r.nextInt(48)); // the nibble-order fast path
        }
        return cols;
    }

    /**
     * A random product's weights and batch, drawn in this order: rows, a row length from {@code colsOf}, a token
     * count, one of {@code values}, Gaussian weights (scale 0.1) and a random {@link #scheme} for them, quantized
     * by the reference.
     */
    private record Product(int rows, int cols, int tokens, QuantizedTensor w) {
        static Product draw(SplittableRandom r, ToIntFunction<SplittableRandom> colsOf, QuantValue[] values) {
            int rows = 1 + r.nextInt(30);
            int cols = colsOf.applyAsInt(r);
            int tokens = TOKENS[r.nextInt(TOKENS.length)];
            QuantValue value = values[r.nextInt(values.length)];
            QuantizedTensor w = Kernels.scalar()
                    .quantize("w", FloatTensor.of(gaussian(r, rows * cols, 0.1), rows, cols), scheme(r, value, cols));
            return new Product(rows, cols, tokens, w);
        }

        @Override
        public String toString() {
            return w + " x " + tokens + " tokens";
        }
    }

    private static float[] gaussian(SplittableRandom r, int n, double scale) {
        return TestFloats.of(n, () -> r.nextInt(25) == 0 ? 0 : r.nextGaussian() * scale);
    }

    private static QuantScheme scheme(SplittableRandom r, QuantValue value, int cols) {
        QuantScheme s = QuantScheme.DEFAULT.withValue(value).withParam(QuantParam.values()[r.nextInt(3)]);
        if (value.bits() == 8 && r.nextBoolean()) {
            s = s.withStore(QuantStore.NATIVE);
        }
        return switch (r.nextInt(6)) {
            case 0 -> s; // tensor level: one run per row, often longer than 1024 columns
            case 1 -> s.withBlockSize(cols); // one scale per row (per output channel)
            case 2 -> s.withBlockSize(1 + r.nextInt(70)); // odd blocks, the last one of a row cut short
            case 3 -> s.withBlockSize(2, 32);
            default -> s.withBlockSize(32);
        };
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(got[i])) + "), the reference gives " + want[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(want[i])) + ")");
            }
        }
    }

    @Test
    void activeImplementationFollowsTheQuantizeKernels() {
        assertSame(Kernels.active() == Kernels.scalar() ? REF : SIMD, Gemm.active());
    }

    @Test
    void float32ProductEqualsTheReferenceBitForBit() {
        for (long seed = 0; seed < 150; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int rows = 1 + r.nextInt(40);
            int cols = cols(r);
            int tokens = TOKENS[r.nextInt(TOKENS.length)];
            float[] w = gaussian(r, rows * cols, 0.1);
            float[] x = gaussian(r, tokens * cols, 1);
            float[] want = new float[tokens * rows];
            float[] got = new float[tokens * rows];
            REF.matmul(w, rows, cols, x, tokens, want, Parallelism.single());
            for (int threads : new int[] {1, 2, 3}) {
                Arrays.fill(got, Float.NaN);
                SIMD.matmul(w, rows, cols, x, tokens, got, Parallelism.threads(threads));
                assertSameBits(
                        want,
                        got,
                        "seed " + seed + " f32 [" + rows + ", " + cols + "] x " + tokens + " tokens, " + threads
                                + " threads");
            }
        }
    }

    @Test
    void float32ReferenceIsTheSequentialFmaChain() {
        // 1e8 + 1 - 1e8 in float32: the chain is left to right, each step one rounding.
        float[] w = {1e8f, 1f, -1e8f, 3f};
        float[] x = {1f, 1f, 1f, 0.5f};
        float[] out = new float[1];
        REF.matmul(w, 1, 4, x, 1, out, Parallelism.single());
        float acc = 0f;
        for (int c = 0; c < 4; c++) {
            acc = Math.fma(w[c], x[c], acc);
        }
        assertEquals(acc, out[0]);
        assertEquals(1.5f, out[0]); // 1e8 + 1 rounds to 1e8 in float32
    }

    @Test
    void dequantizedProductEqualsTheFloat32ProductOfTheDequantizedWeights() {
        for (long seed = 0; seed < 120; seed++) {
            SplittableRandom r = new SplittableRandom(1000 + seed);
            Product p = Product.draw(r, GemmTest::cols, QuantValue.values());
            float[] deq = new float[p.rows() * p.cols()];
            Kernels.scalar().dequantize(p.w(), deq);
            float[] x = gaussian(r, p.tokens() * p.cols(), 1);
            float[] want = new float[p.tokens() * p.rows()];
            REF.matmul(deq, p.rows(), p.cols(), x, p.tokens(), want, Parallelism.single());
            for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
                float[] got = new float[p.tokens() * p.rows()];
                k.matmul(p.w(), x, p.tokens(), got, Parallelism.threads(1 + (int) (seed % 3)));
                assertSameBits(want, got, k.name() + " seed " + (1000 + seed) + " " + p);
            }
        }
    }

    @Test
    void activationsAreTheContractsQ8sPerToken() {
        SplittableRandom r = new SplittableRandom(7);
        int tokens = 5;
        int cols = 37;
        float[] x = gaussian(r, tokens * cols, 3);
        Arrays.fill(x, 2 * cols, 3 * cols, 0f); // an all-zero token
        x[3 * cols + 4] = -0f;
        Int8Activations a = REF.quantizeActivations(x, tokens, cols, cols);
        for (int t = 0; t < tokens; t++) {
            float amax = 0f;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(x[t * cols + c]));
            }
            float s = amax / 127f;
            assertEquals(s, a.scales()[t], "scale of token " + t);
            for (int c = 0; c < cols; c++) {
                int want = s == 0f ? 0 : (int) Math.max(-127, Math.min(127, Math.rint(x[t * cols + c] / s)));
                assertEquals(want, a.codes()[t * cols + c], "token " + t + " column " + c);
            }
        }
        for (int block : new int[] {1, 5, 32, cols}) {
            Int8Activations ref = REF.quantizeActivations(x, tokens, cols, block);
            Int8Activations b = SIMD.quantizeActivations(x, tokens, cols, block);
            assertArrayEquals(ref.codes(), b.codes());
            assertArrayEquals(ref.scales(), b.scales());
            assertEquals(tokens * ((cols + block - 1) / block), b.scales().length);
        }
        // Per block of 5: the scale of token 1's second block is its own amax / 127.
        Int8Activations five = REF.quantizeActivations(x, tokens, cols, 5);
        float amax5 = 0f;
        for (int c = 5; c < 10; c++) {
            amax5 = Math.max(amax5, Math.abs(x[cols + c]));
        }
        assertEquals(amax5 / 127f, five.scales()[five.blocksPerToken() + 1]);
        x[9] = Float.NaN;
        for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
            NonFiniteValueException e =
                    assertThrows(NonFiniteValueException.class, () -> k.quantizeActivations(x, tokens, cols, 32));
            assertTrue(e.getMessage().contains("activations"), e.getMessage());
        }
    }

    @Test
    void integerProductEqualsTheReferenceBitForBit() {
        for (long seed = 0; seed < 300; seed++) {
            SplittableRandom r = new SplittableRandom(5000 + seed);
            Product p = Product.draw(r, GemmTest::integerCols, INTEGER);
            int block = activationBlock(r, p.cols());
            assertInt8ProductIsTheReferences(
                    r, p.w(), p.rows(), p.cols(), p.tokens(), block, "seed " + (5000 + seed) + " " + p);
        }
    }

    /**
     * Affine weights (unsigned codes, an offset per block): the vector path against the reference bit for bit,
     * over the same odd shapes (1 token, rows not a multiple of the tile, blocks cut short, runs longer than the
     * exact chunk).
     */
    @Test
    void affineIntegerProductEqualsTheReferenceBitForBit() {
        QuantValue[] values = {QuantValue.Q8F, QuantValue.Q4F, QuantValue.Q2F};
        for (long seed = 0; seed < 200; seed++) {
            SplittableRandom r = new SplittableRandom(7000 + seed);
            int rows = 1 + r.nextInt(30);
            int cols = integerCols(r);
            int tokens = seed % 10 == 0 ? 1 : TOKENS[r.nextInt(TOKENS.length)];
            QuantValue value = values[r.nextInt(values.length)];
            QuantScheme scheme = scheme(r, value, cols).withMode(QuantMode.AFFINE);
            float[] wv = gaussian(r, rows * cols, 0.1);
            for (int i = 0; i < wv.length; i++) {
                wv[i] += 0.05f; // an offset that is not zero
            }
            QuantizedTensor w = Kernels.scalar().quantize("w", FloatTensor.of(wv, rows, cols), scheme);
            assertTrue(w.isAffine(), scheme.toString());
            int block = activationBlock(r, cols);
            assertInt8ProductIsTheReferences(
                    r,
                    w,
                    rows,
                    cols,
                    tokens,
                    block,
                    "seed " + (7000 + seed) + " " + w + " x " + tokens + " tokens, block " + block);
        }
    }

    /** A random case's activation block: one scale per token, cut short (runs that cross the weight blocks), or 32. */
    private static int activationBlock(SplittableRandom r, int cols) {
        return switch (r.nextInt(4)) {
            case 0 -> cols;
            case 1 -> 1 + r.nextInt(cols);
            default -> Math.min(32, cols);
        };
    }

    /**
     * Random activations ({@code tokens x cols}, quantized per {@code block} by the reference) times {@code w}:
     * the vector path on one and on two threads equals the reference bit for bit.
     */
    private static void assertInt8ProductIsTheReferences(
            SplittableRandom r, QuantizedTensor w, int rows, int cols, int tokens, int block, String label) {
        Int8Activations a = REF.quantizeActivations(gaussian(r, tokens * cols, 2), tokens, cols, block);
        float[] want = new float[tokens * rows];
        REF.matmulInt8(w, a, want, Parallelism.single());
        for (int threads : new int[] {1, 2}) {
            float[] got = new float[tokens * rows];
            Arrays.fill(got, Float.NaN);
            SIMD.matmulInt8(w, a, got, Parallelism.threads(threads));
            assertSameBits(want, got, label + ", " + threads + " threads");
        }
    }

    /**
     * Affine codes at 255 (and 15) against activation codes of -127 over one run per row of up to 4096 columns:
     * a float chain of more than 512 such products would leave the exact range, so the vector path must cut it.
     */
    @Test
    void affineIntegerSumsAreExactAtTheExtremes() {
        for (int cols : new int[] {1, 31, 512, 513, 1024, 1025, 2100, 4096}) {
            for (QuantValue value : new QuantValue[] {QuantValue.Q8F, QuantValue.Q4F}) {
                int rows = 3;
                float[] wv = new float[rows * cols];
                for (int i = 0; i < wv.length; i++) {
                    wv[i] = i % 7 == 3 ? 0f : 1f; // the largest code nearly everywhere, one scale per tensor
                }
                QuantScheme scheme = QuantScheme.DEFAULT
                        .withValue(value)
                        .withStore(QuantStore.U32)
                        .withMode(QuantMode.AFFINE);
                QuantizedTensor w = Kernels.scalar().quantize("w", FloatTensor.of(wv, rows, cols), scheme);
                assertExactAtTheExtremes(w, value + " affine");
            }
        }
    }

    /** Codes at the largest magnitudes, over rows long enough that a careless float sum would round. */
    @Test
    void integerSumsAreExactAtTheExtremes() {
        for (int cols : new int[] {1, 31, 1024, 1025, 1536, 2100, 4096}) {
            for (QuantValue value : new QuantValue[] {QuantValue.Q8F, QuantValue.Q4F}) {
                int rows = 3;
                float[] wv = new float[rows * cols];
                for (int i = 0; i < wv.length; i++) {
                    wv[i] = i % 7 == 3 ? 0.5f : -1f; // codes -128 (or -8) nearly everywhere, one scale per tensor
                }
                QuantizedTensor w = Kernels.scalar()
                        .quantize(
                                "w",
                                FloatTensor.of(wv, rows, cols),
                                QuantScheme.DEFAULT.withValue(value).withStore(QuantStore.U32));
                assertExactAtTheExtremes(w, value.toString());
            }
        }
    }

    /**
     * A one-scale weight {@code w [rows, cols]} times two tokens of activation codes -127 (one +127): the vector
     * path equals the reference, and the reference equals exact sums in long arithmetic, each converted once
     * ({@code fma(D, s_w s_a, 0)}, then {@code fma(A, m s_a, acc)} for affine weights).
     */
    private static void assertExactAtTheExtremes(QuantizedTensor w, String what) {
        int rows = w.shape()[0];
        int cols = w.shape()[1];
        int tokens = 2;
        float[] xv = new float[tokens * cols];
        Arrays.fill(xv, -1f);
        xv[cols + 1 % cols] = 1f;
        Int8Activations a = REF.quantizeActivations(xv, tokens, cols, cols);
        float[] want = new float[tokens * rows];
        REF.matmulInt8(w, a, want, Parallelism.single());
        float[] got = new float[tokens * rows];
        SIMD.matmulInt8(w, a, got, Parallelism.single());
        assertSameBits(want, got, what + " extremes, " + cols + " columns");
        for (int t = 0; t < tokens; t++) {
            for (int rr = 0; rr < rows; rr++) {
                long d = 0;
                long asum = 0;
                for (int c = 0; c < cols; c++) {
                    d += (long) w.code(rr * cols + c) * a.codes()[t * cols + c];
                    asum += a.codes()[t * cols + c];
                }
                float exact = Math.fma((float) d, w.scales()[0] * a.scales()[t], 0f);
                if (w.isAffine()) {
                    exact = Math.fma((float) asum, w.offsets()[0] * a.scales()[t], exact);
                }
                assertEquals(exact, want[t * rows + rr], what + " " + cols + " columns, token " + t);
            }
        }
    }

    @Test
    void integerReferenceByHand() {
        // Two rows, block 2: w = [[1, -2, 3], [127, -127, 0]] in Q8S codes with scales 0.5, 0.25 / 1, 2.
        QuantScheme block2 =
                QuantScheme.DEFAULT.withValue(QuantValue.Q8S).withBlockSize(2).withStore(QuantStore.NATIVE);
        QuantizedTensor w = new QuantizedTensor(
                new int[] {2, 3}, block2, new byte[] {1, -2, 3, 127, -127, 0}, new float[] {0.5f, 0.25f, 1f, 2f});
        Int8Activations a = new Int8Activations(new byte[] {10, 20, -30}, new float[] {0.125f}, 1, 3, 3);
        float[] out = new float[2];
        for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
            k.matmulInt8(w, a, out, Parallelism.single());
            // row 0: block 0: 1*10 - 2*20 = -30 -> -30 * (0.5 * 0.125); block 1: 3 * -30 = -90 -> -90 * (0.25 * 0.125)
            assertEquals(-30 * 0.0625f + -90 * 0.03125f, out[0], k.name());
            // row 1: 127*10 - 127*20 = -1270 -> * 0.125; then 0 * 0.25
            assertEquals(-1270 * 0.125f, out[1], k.name());
        }
    }

    @Test
    void activationBlocksSplitTheRuns() {
        // Weight block 2 and activation block 1 over 3 columns: runs [0,1) [1,2) [2,3), each its own pair of scales.
        QuantScheme block2 =
                QuantScheme.DEFAULT.withValue(QuantValue.Q8S).withBlockSize(2).withStore(QuantStore.NATIVE);
        QuantizedTensor w =
                new QuantizedTensor(new int[] {1, 3}, block2, new byte[] {1, -2, 3}, new float[] {0.5f, 0.25f});
        Int8Activations a = new Int8Activations(new byte[] {10, 20, -30}, new float[] {1f, 2f, 4f}, 1, 3, 1);
        for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
            float[] out = new float[1];
            k.matmulInt8(w, a, out, Parallelism.single());
            assertEquals(10 * 0.5f + -40 * 1f + -90 * 1f, out[0], k.name());
        }
    }

    @Test
    void integerProductIsCloseToTheFloatProductOfTheDequantizedValues() {
        SplittableRandom r = new SplittableRandom(99);
        int rows = 24;
        int cols = 384;
        int tokens = 9;
        QuantizedTensor w = Kernels.scalar()
                .quantize(
                        "w",
                        FloatTensor.of(gaussian(r, rows * cols, 0.1), rows, cols),
                        QuantScheme.DEFAULT.withValue(QuantValue.Q8S).withBlockSize(32));
        Int8Activations a = REF.quantizeActivations(gaussian(r, tokens * cols, 1), tokens, cols, 32);
        float[] out = new float[tokens * rows];
        SIMD.matmulInt8(w, a, out, Parallelism.single());
        for (int t = 0; t < tokens; t++) {
            for (int rr = 0; rr < rows; rr++) {
                double exact = 0;
                double magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) w.code(rr * cols + c)
                            * w.scales()[rr * 12 + c / 32]
                            * a.codes()[t * cols + c]
                            * a.scales()[t * 12 + c / 32];
                    exact += p;
                    magnitude += Math.abs(p);
                }
                // 12 fma steps, each one rounding of a partial sum, plus the scale product's rounding.
                assertEquals(exact, out[t * rows + rr], 30 * 0x1p-24 * magnitude, "token " + t + " row " + rr);
            }
        }
    }

    @Test
    void badShapesAreRejectedWithTheExpectedSizes() {
        QuantizedTensor w = Kernels.scalar()
                .quantize("w", FloatTensor.of(new float[6], 2, 3), QuantScheme.DEFAULT.withValue(QuantValue.Q8S));
        Int8Activations a = new Int8Activations(new byte[8], new float[2], 2, 4, 4);
        for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> k.matmulInt8(w, a, new float[4], Parallelism.single()));
            assertTrue(e.getMessage().contains("4 columns"), e.getMessage());
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matmul(new float[6], 2, 3, new float[6], 2, new float[3], Parallelism.single()));
            assertTrue(e.getMessage().contains("expected 2 x 2 = 4"), e.getMessage());
            QuantizedTensor fp8 = Kernels.scalar()
                    .quantize("w", FloatTensor.of(new float[6], 2, 3), QuantScheme.DEFAULT.withValue(QuantValue.E4M3));
            e = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matmulInt8(
                            fp8,
                            new Int8Activations(new byte[3], new float[1], 1, 3, 3),
                            new float[2],
                            Parallelism.single()));
            assertTrue(e.getMessage().contains("float codes"), e.getMessage());
        }
    }
}
