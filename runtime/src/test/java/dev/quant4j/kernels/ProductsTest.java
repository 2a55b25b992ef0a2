package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.TestFloats;
import dev.quant4j.testkit.SeededCases;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused product kernels (SIMD and scalar) against a double-precision product of the dequantized
 * weights. The bound is the classic worst case for a float32 sum of n terms, {@code n u / (1 - n u)}
 * times the sum of the terms' magnitudes, with n = cols + 64 (the scalar kernel sums a row in sequence;
 * the SIMD kernels' chains are shorter) and with the 4-bit path's {@code 24 s |x|} terms counted, since
 * it sums {@code (24 + q) x} before subtracting {@code 24 x}.
 */
class ProductsTest {
    private static final List<QuantKernels> IMPLEMENTATIONS = List.of(PanamaKernels.INSTANCE, Kernels.scalar());
    private static final double U = Math.scalb(1.0, -24);

    private record Case(long seed, QuantizedTensor w, float[] deq, int rows, int cols) {
        String describe() {
            return "seed " + seed + ", " + w;
        }
    }

    private static Case randomCase(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        QuantValue value = RandomCases.VALUES[r.nextInt(RandomCases.VALUES.length)];
        int rows = 1 + r.nextInt(40);
        int cols = switch (r.nextInt(5)) {
            case 0 -> 32 * (1 + r.nextInt(40));
            case 1 -> 1 + r.nextInt(100);
            case 2 -> 4096;
            default -> 16 * (1 + r.nextInt(30)) + r.nextInt(2);
        };
        if (cols == 4096) {
            rows = Math.min(rows, 6);
        }
        int[] shape = {rows, cols};
        QuantScheme scheme = RandomCases.scheme(r, value, shape);
        if (r.nextInt(3) == 0) {
            scheme = scheme.withBlockSize(32); // the fast paths' layout, often
        }
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-3, 4)));
        }
        QuantizedTensor w = Kernels.scalar().quantize("w", FloatTensor.of(x, shape), scheme);
        float[] deq = PanamaKernelsTest.dequantize(Kernels.scalar(), w);
        return new Case(seed, w, deq, rows, cols);
    }

    private static float[] activations(SplittableRandom r, int n) {
        return TestFloats.of(n, () -> r.nextInt(20) == 0 ? 0 : r.nextGaussian());
    }

    /** Checks {@code got[r]} against the double product of {@code deq} with {@code x}. */
    private static void check(Case c, float[] x, int xOff, float[] got, int outOff, String what) {
        BlockLayout layout = c.w.layout();
        int be = layout.lastBlockExtent();
        double n = c.cols + 64;
        double gamma = n * U / (1 - n * U);
        for (int r = 0; r < c.rows; r++) {
            double exact = 0;
            double magnitude = 0;
            int base = layout.rowBlockBase(r);
            for (int col = 0; col < c.cols; col++) {
                double wv = c.deq[r * c.cols + col];
                double s = c.w.scales()[base + col / be];
                exact += wv * x[xOff + col];
                magnitude += (Math.abs(wv) + 24 * s) * Math.abs(x[xOff + col]);
            }
            double err = Math.abs(got[outOff + r] - exact);
            double bound = gamma * magnitude + 1e-37;
            if (!(err <= bound)) {
                fail(what + " row " + r + " of " + c.describe() + ": got " + got[outOff + r] + ", exact " + exact
                        + ", error " + err + " > bound " + bound);
            }
        }
    }

    @Test
    void matvecMatchesTheExactProductOfTheDequantizedWeights() {
        SplittableRandom seeds = new SplittableRandom(0x5EED_0101L);
        for (int i = 0; i < 400; i++) {
            Case c = randomCase(seeds.nextLong());
            float[] x = activations(new SplittableRandom(c.seed + 1), c.cols);
            for (QuantKernels k : IMPLEMENTATIONS) {
                float[] out = new float[c.rows];
                k.matvec(c.w, x, out, Parallelism.single());
                check(c, x, 0, out, 0, k.name() + " matvec");
            }
        }
    }

    @Test
    void matmulMatchesTheExactProductForEveryBatchRow() {
        SplittableRandom seeds = new SplittableRandom(0x5EED_0102L);
        for (int i = 0; i < 150; i++) {
            Case c = randomCase(seeds.nextLong());
            SplittableRandom r = new SplittableRandom(c.seed + 2);
            int batch = 1 + r.nextInt(9);
            float[] x = activations(r, batch * c.cols);
            for (QuantKernels k : IMPLEMENTATIONS) {
                float[] out = new float[batch * c.rows];
                k.matmul(c.w, x, batch, out, Parallelism.threads(2));
                for (int b = 0; b < batch; b++) {
                    check(c, x, b * c.cols, out, b * c.rows, k.name() + " matmul batch row " + b + " of " + batch);
                }
            }
        }
    }

    @Test
    void int8ProductIsTheExactProductWithQuantizedActivations() {
        SplittableRandom seeds = new SplittableRandom(0x5EED_0103L);
        int checked = 0;
        while (checked < 300) {
            Case c = randomCase(seeds.nextLong());
            if (c.w.scheme().value().isFloat()) {
                continue;
            }
            float[] x = activations(new SplittableRandom(c.seed + 3), c.cols);
            // What the kernel multiplies: activations quantized like a Q8S F32 weight, 32 per block.
            QuantRules.Int8Activations a = QuantRules.quantizeActivations(x);
            float[] xq = new float[c.cols];
            for (int i = 0; i < c.cols; i++) {
                xq[i] = a.codes()[i] * a.scales()[i / QuantRules.ACTIVATION_BLOCK];
            }
            for (QuantKernels k : IMPLEMENTATIONS) {
                float[] out = new float[c.rows];
                k.matvecInt8(c.w, x, out, Parallelism.single());
                check(c, xq, 0, out, 0, k.name() + " matvecInt8");
                // And close to the float product: each activation moved by at most half its step.
                for (int r = 0; r < c.rows; r++) {
                    double exact = 0;
                    double slack = 0;
                    for (int col = 0; col < c.cols; col++) {
                        double wv = c.deq[r * c.cols + col];
                        exact += wv * x[col];
                        slack += Math.abs(wv) * (a.scales()[col / 32] / 2 + Math.abs(x[col]) * 1e-5);
                    }
                    assertTrue(
                            Math.abs(out[r] - exact) <= slack + 1e-30,
                            () -> "int8 far from float product, " + c.describe());
                }
            }
            checked++;
        }
    }

    @Test
    void int8ProductTakesEachScaleRunsOwnScale() {
        // Scale runs of 64 to 512 columns (the int8 rows count them instead of dividing), each run's weights
        // 4x the size of the previous run's (cycling over four sizes), so a neighbouring run's scale would be far off.
        SplittableRandom r = new SplittableRandom(0x5EED_0105L);
        for (String text : List.of("q8s:block32", "q4f:block32:f16", "q4s:block32")) {
            for (int block : new int[] {64, 96, 128, 512}) {
                int rows = 3;
                int cols = 1024;
                float[] wf = new float[rows * cols];
                for (int i = 0; i < wf.length; i++) {
                    wf[i] = (float) (r.nextGaussian() * Math.scalb(1.0, 2 * ((i % cols) / block % 4) - 4));
                }
                QuantScheme scheme = QuantScheme.parse(text).withBlockSize(block);
                QuantizedTensor w = Kernels.scalar().quantize("w", FloatTensor.of(wf, rows, cols), scheme);
                Case c = new Case(block, w, PanamaKernelsTest.dequantize(Kernels.scalar(), w), rows, cols);
                float[] x = activations(r, cols);
                QuantRules.Int8Activations a = QuantRules.quantizeActivations(x);
                float[] xq = new float[cols];
                for (int i = 0; i < cols; i++) {
                    xq[i] = a.codes()[i] * a.scales()[i / QuantRules.ACTIVATION_BLOCK];
                }
                for (QuantKernels k : IMPLEMENTATIONS) {
                    float[] out = new float[rows];
                    k.matvecInt8(w, x, out, Parallelism.single());
                    check(c, xq, 0, out, 0, k.name() + " matvecInt8 " + scheme);
                }
            }
        }
    }

    @Test
    void threadsGiveTheSameBitsAsOneThread() {
        SeededCases.run(0x5EED_0104L, 30, (seed, r) -> {
            int rows = 64 + r.nextInt(300);
            int cols = 32 * (8 + r.nextInt(60));
            float[] wf = activations(r, rows * cols);
            QuantScheme scheme = QuantScheme.parse(r.nextBoolean() ? "q4f:block32:f16" : "q8s:block32:f16");
            QuantizedTensor w = Kernels.scalar().quantize("w", FloatTensor.of(wf, rows, cols), scheme);
            float[] x = activations(r, cols);
            for (QuantKernels k : IMPLEMENTATIONS) {
                float[] one = new float[rows];
                float[] many = new float[rows];
                k.matvec(w, x, one, Parallelism.single());
                k.matvec(w, x, many, Parallelism.threads(3));
                assertArrayEquals(one, many, k.name() + " matvec, seed " + seed);
                k.matvecInt8(w, x, one, Parallelism.single());
                k.matvecInt8(w, x, many, Parallelism.threads(4));
                assertArrayEquals(one, many, k.name() + " matvecInt8, seed " + seed);
                k.matvec(wf, rows, cols, x, one, Parallelism.single());
                k.matvec(wf, rows, cols, x, many, Parallelism.threads(2));
                assertArrayEquals(one, many, k.name() + " float32 matvec, seed " + seed);
            }
        });
    }

    @Test
    void float32MatvecMatchesTheExactProduct() {
        SplittableRandom r = new SplittableRandom(0x5EED_0105L);
        for (int i = 0; i < 100; i++) {
            int rows = 1 + r.nextInt(20);
            int cols = r.nextInt(300);
            float[] w = activations(r, rows * cols);
            float[] x = activations(r, cols);
            for (QuantKernels k : IMPLEMENTATIONS) {
                float[] out = new float[rows];
                k.matvec(w, rows, cols, x, out, Parallelism.single());
                for (int row = 0; row < rows; row++) {
                    double exact = 0;
                    double mag = 0;
                    for (int c = 0; c < cols; c++) {
                        exact += (double) w[row * cols + c] * x[c];
                        mag += Math.abs((double) w[row * cols + c] * x[c]);
                    }
                    double n = cols + 64;
                    assertTrue(
                            Math.abs(out[row] - exact) <= n * U / (1 - n * U) * mag + 1e-37,
                            k.name() + " float32 row " + row);
                }
            }
        }
    }

    @Test
    void badShapesAndFloatCodesAreRejectedWithTheReason() {
        QuantizedTensor w =
                Kernels.scalar().quantize("w", FloatTensor.of(new float[64], 2, 32), QuantScheme.parse("q4f:block32"));
        QuantizedTensor e4 =
                Kernels.scalar().quantize("w", FloatTensor.of(new float[64], 2, 32), QuantScheme.parse("e4m3:block32"));
        QuantizedTensor rank3 =
                Kernels.scalar().quantize("w", FloatTensor.of(new float[64], 2, 2, 16), QuantScheme.parse("q8s"));
        for (QuantKernels k : IMPLEMENTATIONS) {
            IllegalArgumentException ex = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matvec(w, new float[31], new float[2], Parallelism.single()));
            assertTrue(ex.getMessage().contains("expected 1 x 32"), ex.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matvec(w, new float[32], new float[3], Parallelism.single()));
            ex = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matvec(rank3, new float[16], new float[4], Parallelism.single()));
            assertTrue(ex.getMessage().contains("rank-2"), ex.getMessage());
            ex = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matvecInt8(e4, new float[32], new float[2], Parallelism.single()));
            assertTrue(ex.getMessage().contains("use matvec"), ex.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> k.matvec(new float[10], 3, 4, new float[4], new float[3], Parallelism.single()));
        }
        assertThrows(IllegalArgumentException.class, () -> Parallelism.threads(0));
    }
}
