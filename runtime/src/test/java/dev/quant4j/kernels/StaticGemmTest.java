package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.TestFloats;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Static activation quantization (one frozen scale per tensor): the Vector API kernel against the scalar
 * reference bit for bit (surefire runs this at the widest width, at 256 and 128 bits, and scalar-forced),
 * including scales that clip most values and scales so small that {@code x / s} overflows; the reference
 * against hand-computed codes.
 */
class StaticGemmTest {
    private static final GemmKernels REF = Gemm.scalar();
    private static final GemmKernels SIMD = PanamaGemm.INSTANCE;
    private static final int[] TOKENS = {1, 2, 3, 7, 8, 9, 16, 17, 33};

    @Test
    void referenceRoundsHalfToEvenAndClampsAtTheFrozenScale() {
        float[] x = {0.5f, -1.5f, 2.5f, 300f, -300f, -0f, 126.5f, 127.49f};
        Int8Activations a = REF.quantizeActivationsStatic(x, 2, 4, 1f);
        assertArrayEquals(new byte[] {0, -2, 2, 127, -127, 0, 126, 127}, a.codes());
        assertArrayEquals(new float[] {1f, 1f}, a.scales());
        assertEquals(4, a.block());
    }

    @Test
    void scaleZeroGivesCodesZero() {
        Int8Activations a = REF.quantizeActivationsStatic(new float[] {1f, -2f, 3f}, 1, 3, 0f);
        assertArrayEquals(new byte[3], a.codes());
        assertArrayEquals(
                a.codes(),
                SIMD.quantizeActivationsStatic(new float[] {1f, -2f, 3f}, 1, 3, 0f)
                        .codes());
    }

    @Test
    void aTokenQuantizedAtItsOwnAmaxEqualsDynamicPerToken() {
        SplittableRandom r = new SplittableRandom(3);
        for (int round = 0; round < 50; round++) {
            int cols = 1 + r.nextInt(300);
            float[] x = gaussian(r, cols, 2);
            float amax = 0f;
            for (float v : x) {
                amax = Math.max(amax, Math.abs(v));
            }
            Int8Activations dynamic = REF.quantizeActivations(x, 1, cols, cols);
            Int8Activations fixed = REF.quantizeActivationsStatic(x, 1, cols, dynamic.scales()[0]);
            assertEquals(amax / 127f, dynamic.scales()[0]);
            assertArrayEquals(dynamic.codes(), fixed.codes());
        }
    }

    @Test
    void vectorKernelEqualsTheReferenceBitForBit() {
        SplittableRandom r = new SplittableRandom(17);
        for (int round = 0; round < 400; round++) {
            int tokens = TOKENS[r.nextInt(TOKENS.length)];
            int cols = 1 + r.nextInt(200);
            float[] x = gaussian(r, tokens * cols, Math.scalb(1.0, r.nextInt(20) - 10));
            float scale = switch (r.nextInt(4)) {
                case 0 -> Float.MIN_VALUE; // x / s overflows to infinity
                case 1 -> (float) (r.nextDouble() * 1e-3); // most values clip
                case 2 -> Math.scalb(1f, r.nextInt(10) - 8); // exact quotients, ties at .5
                default -> (float) r.nextDouble(0.001, 0.2);
            };
            Int8Activations want = REF.quantizeActivationsStatic(x, tokens, cols, scale);
            Int8Activations got = SIMD.quantizeActivationsStatic(x, tokens, cols, scale);
            assertArrayEquals(want.codes(), got.codes(), "codes, scale " + scale);
            assertArrayEquals(want.scales(), got.scales());

            QuantValue value = r.nextBoolean() ? QuantValue.Q8S : QuantValue.Q4S;
            int rows = 1 + r.nextInt(40);
            QuantScheme scheme = QuantScheme.DEFAULT.withValue(value).withBlockSize(1 + r.nextInt(40));
            QuantizedTensor w =
                    Kernels.scalar().quantize("w", FloatTensor.of(gaussian(r, rows * cols, 1), rows, cols), scheme);
            float[] wantOut = new float[tokens * rows];
            float[] gotOut = new float[tokens * rows];
            REF.matmulInt8(w, want, wantOut, Parallelism.single());
            SIMD.matmulInt8(w, got, gotOut, Parallelism.single());
            for (int i = 0; i < wantOut.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(wantOut[i]),
                        Float.floatToRawIntBits(gotOut[i]),
                        "output " + i + " of " + scheme + ", scale " + scale);
            }
        }
    }

    @Test
    void staticProductIsTheIntegerProductTimesBothScales() {
        // w = [[1, 2]] (q8s per tensor: s_w = 2/127), x = [[0.5, -1]] at s_a = 0.25: q_a = [2, -4].
        QuantizedTensor w =
                Kernels.scalar().quantize("w", FloatTensor.of(new float[] {1f, 2f}, 1, 2), QuantScheme.DEFAULT);
        Int8Activations a = REF.quantizeActivationsStatic(new float[] {0.5f, -1f}, 1, 2, 0.25f);
        float[] out = new float[1];
        REF.matmulInt8(w, a, out, Parallelism.single());
        int d = w.codes()[0] * 2 + w.codes()[1] * -4; // U32 store: bytes 0, 1 are the first two codes
        assertEquals(Math.fma((float) d, w.scales()[0] * 0.25f, 0f), out[0]);
        assertEquals(1f * 0.5f + 2f * -1f, out[0], 0.02f);
    }

    @Test
    void badInputsAreRefused() {
        for (GemmKernels k : new GemmKernels[] {REF, SIMD}) {
            assertThrows(
                    NonFiniteValueException.class,
                    () -> k.quantizeActivationsStatic(new float[] {1f, Float.NaN}, 1, 2, 1f));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> k.quantizeActivationsStatic(new float[] {1f, 2f}, 1, 2, Float.NaN));
            assertTrue(e.getMessage().contains("static activation scale"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.quantizeActivationsStatic(new float[] {1f}, 1, 2, 1f));
            assertThrows(
                    IllegalArgumentException.class, () -> k.quantizeActivationsStatic(new float[] {1f, 2f}, 1, 2, -1f));
        }
    }

    private static float[] gaussian(SplittableRandom r, int n, double scale) {
        return TestFloats.of(n, () -> r.nextInt(25) == 0 ? 0 : r.nextGaussian() * scale);
    }
}
