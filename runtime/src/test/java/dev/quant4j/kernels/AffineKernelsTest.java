package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import dev.quant4j.testing.FloatBits;
import dev.quant4j.testkit.SeededCases;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The affine mode (docs/NUMERICS.md, "The affine mode"): hand-computed blocks, the error bound over a seeded
 * loop, the SIMD kernels against the scalar reference bit for bit (Surefire runs this class at 512, 256 and
 * 128 bits and with the scalar kernels forced), and the products on affine weights.
 */
class AffineKernelsTest {
    private static final QuantKernels REF = Kernels.scalar();
    private static final QuantKernels SIMD = PanamaKernels.INSTANCE;
    private static final QuantValue[] AFFINE_VALUES = {QuantValue.Q8F, QuantValue.Q4F, QuantValue.Q2F};
    private static final QuantParam[] AFFINE_PARAMS = {QuantParam.F32, QuantParam.F16, QuantParam.BF16};

    private static QuantScheme affine(String text) {
        QuantScheme s = QuantScheme.parse(text);
        assertEquals(QuantMode.AFFINE, s.mode(), text);
        return s.validate();
    }

    @Test
    void aBlockWithExactParamsGetsItsMinAsOffsetAndUnsignedCodes() {
        float[] x = {-1f, 0f, 0.5f, 2f, 14f, 6.5f};
        for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
            QuantizedTensor q = k.quantize("w", FloatTensor.of(x, 6), affine("q4f:tensor:f16:affine"));
            assertArrayEquals(new float[] {1f}, q.scales(), k.name());
            assertArrayEquals(new float[] {-1f}, q.offsets(), k.name());
            // (x - m) / d = 0, 1, 1.5, 3, 15, 7.5; rint half to even: 0, 1, 2, 3, 15, 8.
            int[] codes = new int[6];
            for (int i = 0; i < 6; i++) {
                codes[i] = q.code(i);
            }
            assertArrayEquals(new int[] {0, 1, 2, 3, 15, 8}, codes, k.name());
            assertArrayEquals(
                    new float[] {-1f, 0f, 1f, 2f, 14f, 7f}, q.dequantize().data(), k.name());
            assertEquals(4 + 2 + 2, q.byteSize(), "one U32 word of codes, one F16 scale and one F16 offset");
        }
    }

    @Test
    void f16ParamsRoundTheOffsetDownAndTheScaleUp() {
        float[] x = {0.1f, 0.7f};
        QuantizedTensor q = REF.quantize("w", FloatTensor.of(x, 2), affine("q4f:f16:affine"));
        // 0.1 is 1.6 * 2^-4; ten mantissa bits hold 614/1024 below it: 0.0999755859375.
        assertEquals(0.0999755859375f, q.offsets()[0]);
        // (0.7f - m) / 15 = 0.04000163 in float32; F16 steps there are 2^-15; 1310.77 steps round up to 1311.
        assertEquals(1311 * 0x1p-15f, q.scales()[0]);
        assertEquals(0, q.code(0));
        assertEquals(15, q.code(1));
        assertEquals(
                Math.fma(15f, 1311 * 0x1p-15f, 0.0999755859375f), q.dequantize().data()[1]);
        assertEquals(0.0999755859375f, q.dequantize().data()[0]);
    }

    @Test
    void allEqualBlocksHaveScaleZeroOnlyWhenTheOffsetHoldsTheValue() {
        QuantizedTensor exact =
                REF.quantize("w", FloatTensor.of(new float[] {3f, 3f, 3f}, 3), affine("q8f:f16:affine"));
        assertEquals(0f, exact.scales()[0]);
        assertEquals(3f, exact.offsets()[0]);
        assertArrayEquals(new float[] {3f, 3f, 3f}, exact.dequantize().data());
        // 0.1f is not an F16 value: the offset is below it and a tiny scale reaches it.
        QuantizedTensor near = REF.quantize("w", FloatTensor.of(new float[] {0.1f, 0.1f}, 2), affine("q4f:f16:affine"));
        assertEquals(0.0999755859375f, near.offsets()[0]);
        assertEquals(28 * 0x1p-24f, near.scales()[0], "(0.1f - m) / 15 = 27.3 F16 subnormal steps, rounded up");
        assertEquals(15, near.code(0));
        float back = near.dequantize().data()[0];
        assertEquals(Math.fma(15f, 28 * 0x1p-24f, 0.0999755859375f), back);
        assertTrue(Math.abs(back - 0.1f) <= near.scales()[0] / 2);
        // Zeros of either sign: offset +0, scale +0, values +0.
        QuantizedTensor zeros = SIMD.quantize("w", FloatTensor.of(new float[] {-0f, 0f, -0f}, 3), affine("q2f:affine"));
        assertEquals(0, Float.floatToRawIntBits(zeros.offsets()[0]));
        assertEquals(0, Float.floatToRawIntBits(zeros.scales()[0]));
        assertEquals(0, Float.floatToRawIntBits(zeros.dequantize().data()[0]));
    }

    @Test
    void emptyTensorsBadInputAndParamsTooSmallAreReported() {
        QuantizedTensor empty = REF.quantize("w", FloatTensor.of(new float[0], 0), affine("q4f:affine"));
        assertArrayEquals(new float[] {0f}, empty.scales());
        assertArrayEquals(new float[] {0f}, empty.offsets());
        assertEquals(
                0,
                SIMD.quantize("w", FloatTensor.of(new float[0], 0, 4), affine("q4f:block32:affine"))
                        .offsets()
                        .length);
        for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
            NonFiniteValueException nan = assertThrows(
                    NonFiniteValueException.class,
                    () -> k.quantize("layer.w", FloatTensor.of(new float[] {1f, Float.NaN}, 2), affine("q4f:affine")));
            assertTrue(nan.getMessage().contains("layer.w") && nan.getMessage().contains("1"), nan.getMessage());
            QuantizationException big = assertThrows(
                    QuantizationException.class,
                    () -> k.quantize(
                            "layer.w",
                            FloatTensor.of(new float[] {1f, 2f, -70000f, 0f}, 2, 2),
                            affine("q4f:block2:f16:affine")));
            assertEquals(
                    "tensor 'layer.w' block [1, 0] of grid [2, 1] spans [-70000.0, 0.0], more than an affine F16"
                            + " offset and scale hold (65504.0); use a wider param such as BF16 or F32",
                    big.getMessage());
            QuantizationException given = assertThrows(
                    QuantizationException.class,
                    () -> k.quantize(
                            "layer.w", FloatTensor.of(new float[] {1f}, 1), affine("q4f:affine"), new float[] {1f}));
            assertTrue(
                    given.getMessage().contains("is affine, and caller-chosen scales are for symmetric schemes"),
                    given.getMessage());
        }
    }

    @Test
    void roundDownIsTheLargestParamValueAtOrBelow() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 20000; i++) {
            float v = Float.intBitsToFloat(r.nextInt());
            if (!Float.isFinite(v) || Math.abs(v) > 60000f) {
                v = (float) r.nextGaussian() * 100f;
            }
            for (QuantParam p : AFFINE_PARAMS) {
                float m = ScaleFormat.roundDown(v, p);
                assertTrue(m <= v && ScaleFormat.isValidOffset(m, p), v + " " + p + " " + m);
                // The next value of the type above m (the smallest at or above nextUp(m)) is above v.
                float next = -ScaleFormat.roundDown(-Math.nextUp(m), p);
                assertTrue(next > v, v + " " + p + " " + m + " " + next);
            }
        }
    }

    /** Finite values around an offset, scaled so that F16 params hold them. */
    private static float[] values(SplittableRandom r, int n, QuantParam param) {
        float[] x = new float[n];
        double mag = Math.scalb(1.0, r.nextInt(-20, param == QuantParam.F16 ? 8 : 20));
        double shift = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> mag * r.nextInt(-40, 40);
            default -> mag * r.nextDouble(-2, 2);
        };
        int style = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            x[i] = switch (style) {
                case 0 -> (float) shift;
                case 1 -> (float) (shift + mag * r.nextInt(-8, 8) / 2.0);
                case 2 -> r.nextInt(4) == 0 ? (r.nextBoolean() ? -0f : 0f) : (float) (mag * r.nextGaussian());
                default -> (float) (shift + mag * r.nextGaussian());
            };
        }
        return x;
    }

    private static QuantScheme randomAffine(SplittableRandom r, int[] shape) {
        QuantValue v = AFFINE_VALUES[r.nextInt(AFFINE_VALUES.length)];
        QuantScheme s = RandomCases.scheme(r, v, shape).withMode(QuantMode.AFFINE);
        return s.param() == QuantParam.UE8M0 ? s.withParam(AFFINE_PARAMS[r.nextInt(3)]) : s;
    }

    @Test
    void everyElementIsWithinHalfAStepAndSimdIsTheReferenceBitForBit() {
        int[] cases = {0};
        int[] exactBlocks = {0};
        SeededCases.run(0xAFF1_4E5EL, 400, (seed, r) -> {
            int[] shape = RandomCases.shape(r, 3000);
            QuantScheme scheme = randomAffine(r, shape);
            int n = (int) Shapes.elementCount(shape);
            float[] x = values(r, n, scheme.param());
            String what = RandomCases.describe(seed, shape, scheme);
            FloatTensor t = FloatTensor.of(x, shape);
            QuantizedTensor ref = REF.quantize("t", t, scheme);
            QuantizedTensor simd = SIMD.quantize("t", t, scheme);
            assertArrayEquals(ref.codes(), simd.codes(), what);
            assertArrayEquals(FloatBits.of(ref.scales()), FloatBits.of(simd.scales()), what);
            assertArrayEquals(FloatBits.of(ref.offsets()), FloatBits.of(simd.offsets()), what);
            float[] back = new float[n];
            REF.dequantize(ref, back);
            float[] backSimd = new float[n];
            SIMD.dequantize(ref, backSimd);
            assertArrayEquals(FloatBits.of(back), FloatBits.of(backSimd), what);
            BlockLayout layout = ref.layout();
            if (layout.rows() > 2) {
                float[] part = new float[2 * layout.rowLength() + 3];
                SIMD.dequantizeRows(ref, 1, 3, part, 3);
                for (int i = 0; i < 2 * layout.rowLength(); i++) {
                    assertEquals(
                            Float.floatToRawIntBits(back[layout.rowLength() + i]),
                            Float.floatToRawIntBits(part[3 + i]),
                            what);
                }
            }
            int top = QuantRules.affineMaxCode(scheme.value());
            float[] d = ref.scales();
            float[] m = ref.offsets();
            int[] fails = {0};
            layout.forEachRun((b, from, to) -> {
                for (int i = from; i < to; i++) {
                    int q = ref.code(i);
                    assertTrue(q >= 0 && q <= top, what);
                    double err = Math.abs((double) x[i] - back[i]);
                    double bound = d[b] / 2.0 + d[b] * (top + 1) * 0x1p-22 + Math.ulp(back[i]);
                    if (d[b] == 0f) {
                        bound = 0;
                        assertEquals(x[i] == 0f ? 0f : x[i], back[i], what);
                    }
                    if (err > bound) {
                        fails[0]++;
                        assertTrue(
                                false,
                                what + " element " + i + ": " + x[i] + " -> " + back[i] + " (d " + d[b] + ", m " + m[b]
                                        + ")");
                    }
                }
            });
            for (float s : d) {
                exactBlocks[0] += s == 0f ? 1 : 0;
            }
            cases[0]++;
        });
        assertTrue(exactBlocks[0] > 0, "some blocks are all one value");
        System.out.println(cases[0] + " affine tensors within d/2 and identical at " + SIMD.name() + " ("
                + exactBlocks[0] + " blocks with d = 0)");
    }

    @Test
    void productsOnAffineWeightsAreTheProductsOfTheDequantizedWeights() {
        SplittableRandom r = new SplittableRandom(42);
        for (String text : new String[] {
            "q4f:block32:f16:affine",
            "q8f:block16:bf16:affine",
            "q2f:block8:f32:affine",
            "q4f:block7:f16:affine",
            "q8f:tensor:f32:native:affine"
        }) {
            QuantScheme scheme = affine(text);
            for (int[] rc : new int[][] {{5, 64}, {3, 37}, {8, 256}}) {
                int rows = rc[0];
                int cols = rc[1];
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) (r.nextGaussian() + 0.5);
                }
                QuantizedTensor q = REF.quantize("w", FloatTensor.of(w, rows, cols), scheme);
                float[] dq = q.dequantize().data();
                int batch = 3;
                float[] x = new float[batch * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
                    float[] out = new float[batch * rows];
                    k.matmul(q, x, batch, out, Parallelism.single());
                    float[] one = new float[rows];
                    k.matvec(q, java.util.Arrays.copyOf(x, cols), one, Parallelism.single());
                    for (int t = 0; t < batch; t++) {
                        for (int row = 0; row < rows; row++) {
                            double exact = 0;
                            double mag = 0;
                            for (int c = 0; c < cols; c++) {
                                exact += (double) dq[row * cols + c] * x[t * cols + c];
                                mag += Math.abs((double) dq[row * cols + c] * x[t * cols + c]);
                            }
                            double tol = mag * cols * 0x1p-23;
                            assertEquals(exact, out[t * rows + row], tol, k.name() + " " + text);
                            if (t == 0) {
                                assertEquals(exact, one[row], tol, k.name() + " " + text);
                            }
                        }
                    }
                }
                // The batched products are the float32 chain on the dequantized weights, bit for bit.
                for (GemmKernels g : new GemmKernels[] {Gemm.scalar(), Gemm.active()}) {
                    float[] got = new float[batch * rows];
                    g.matmul(q, x, batch, got, Parallelism.single());
                    float[] want = new float[batch * rows];
                    Gemm.scalar().matmul(dq, rows, cols, x, batch, want, Parallelism.single());
                    assertArrayEquals(FloatBits.of(want), FloatBits.of(got), g.name() + " " + text);
                }
            }
        }
    }

    @Test
    void aHandComputedProduct() {
        // Row 0: codes 0, 1, 2, 3 with d = 1, m = -1 -> -1, 0, 1, 2 (and 14 at code 15).
        float[] w = {-1f, 0f, 1f, 14f};
        QuantizedTensor q = REF.quantize("w", FloatTensor.of(w, 1, 4), affine("q4f:block4:f16:affine"));
        float[] x = {1f, 2f, 3f, 0.5f};
        float want = -1f * 1f + 0f * 2f + 1f * 3f + 14f * 0.5f; // 9
        for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
            float[] out = new float[1];
            k.matvec(q, x, out, Parallelism.single());
            assertEquals(9f, out[0], 0f, k.name());
        }
        float[] out = new float[1];
        Gemm.active().matmul(q, x, 1, out, Parallelism.single());
        assertEquals(want, out[0], 0f);
    }

    @Test
    void theIntegerProductAddsTheOffsetTermPerRunAfterTheScaleTerm() {
        SplittableRandom r = new SplittableRandom(8);
        for (String text : new String[] {
            "q4f:block32:f16:affine", "q8f:block16:bf16:affine", "q2f:block8:f32:affine", "q4f:block7:f16:affine"
        }) {
            int rows = 6;
            int cols = 96;
            int tokens = 5;
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.2 + 0.1);
            }
            QuantizedTensor q = REF.quantize("w", FloatTensor.of(w, rows, cols), affine(text));
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            Int8Activations a = Gemm.scalar().quantizeActivations(x, tokens, cols, 32);
            float[] ref = new float[tokens * rows];
            Gemm.scalar().matmulInt8(q, a, ref, Parallelism.single());
            float[] simd = new float[tokens * rows];
            Gemm.active().matmulInt8(q, a, simd, Parallelism.threads(2));
            assertArrayEquals(FloatBits.of(ref), FloatBits.of(simd), text);
            // The rule, restated: per run exact sums D = sum q_w q_a and A = sum q_a, then
            // acc = fma(D, d s_a, acc), acc = fma(A, m s_a, acc).
            int be = q.layout().lastBlockExtent();
            float[] dq = q.dequantize().data();
            for (int t = 0; t < tokens; t++) {
                for (int row = 0; row < rows; row++) {
                    float acc = 0f;
                    double exact = 0;
                    for (int c0 = 0; c0 < cols; ) {
                        int end = Math.min(Math.min((c0 / be + 1) * be, (c0 / 32 + 1) * 32), cols);
                        long dsum = 0;
                        long asum = 0;
                        for (int c = c0; c < end; c++) {
                            int qa = a.codes()[t * cols + c];
                            dsum += (long) q.code(row * cols + c) * qa;
                            asum += qa;
                            exact += (double) dq[row * cols + c] * qa * a.scales()[t * (cols / 32) + c / 32];
                        }
                        int blk = q.layout().rowBlockBase(row) + c0 / be;
                        float sa = a.scales()[t * (cols / 32) + c0 / 32];
                        acc = Math.fma((float) dsum, q.scales()[blk] * sa, acc);
                        acc = Math.fma((float) asum, q.offsets()[blk] * sa, acc);
                        c0 = end;
                    }
                    assertEquals(Float.floatToRawIntBits(acc), Float.floatToRawIntBits(ref[t * rows + row]), text);
                    // And it is the product of the dequantized weights with the dequantized activations.
                    assertEquals(exact, ref[t * rows + row], 1e-4 * (1 + Math.abs(exact)), text);
                }
            }
            for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
                float[] out = new float[rows];
                k.matvecInt8(q, java.util.Arrays.copyOf(x, cols), out, Parallelism.single());
                for (int row = 0; row < rows; row++) {
                    assertEquals(ref[row], out[row], 1e-4 * (1 + Math.abs(ref[row])), k.name() + " " + text);
                }
            }
        }
    }

    @Test
    void theTensorChecksItsOffsets() {
        QuantScheme s = affine("q4f:f16:affine");
        byte[] codes = new byte[4];
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> new QuantizedTensor(new int[] {8}, s, codes, new float[] {1f}));
        assertTrue(none.getMessage().contains("needs one offset per block"), none.getMessage());
        IllegalArgumentException neg = assertThrows(
                IllegalArgumentException.class,
                () -> new QuantizedTensor(new int[] {8}, s, codes, new float[] {-1f}, new float[] {0f}));
        assertTrue(neg.getMessage().contains("scale 0 = -1.0 is not a finite, non-negative F16"), neg.getMessage());
        IllegalArgumentException off = assertThrows(
                IllegalArgumentException.class,
                () -> new QuantizedTensor(new int[] {8}, s, codes, new float[] {1f}, new float[] {0.1f}));
        assertTrue(off.getMessage().contains("offset 0 = 0.1 is not a finite F16 value"), off.getMessage());
        QuantizedTensor ok = new QuantizedTensor(
                new int[] {8}, s, new byte[] {(byte) 0xF0, 0, 0, 0}, new float[] {0.5f}, new float[] {-0f});
        assertEquals(15, ok.code(1));
        assertEquals(7.5f, ok.dequantize().data()[1]);
        assertEquals(0, Float.floatToRawIntBits(ok.dequantize().data()[0]), "fma(0, d, -0.0) is +0.0");
        assertNull(REF.quantize("w", FloatTensor.of(new float[] {1f}, 1), QuantScheme.parse("q4f"))
                .offsets());
    }
}
