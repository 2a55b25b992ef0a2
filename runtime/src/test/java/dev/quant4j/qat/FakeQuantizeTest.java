package dev.quant4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.calibrate.MinMaxObserver;
import dev.quant4j.calibrate.MovingAverageMinMaxObserver;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FakeQuantizeTest {

    /** Every valid value x level x param x store combination, on a few block shapes. */
    static List<QuantScheme> allSchemes() {
        List<QuantScheme> out = new ArrayList<>();
        int[][] blocks = {null, {32}, {5}, {2, 4}};
        for (QuantValue v : QuantValue.values()) {
            for (int[] b : blocks) {
                for (QuantParam p : QuantParam.values()) {
                    for (QuantStore st : QuantStore.values()) {
                        QuantScheme s =
                                QuantScheme.DEFAULT.withValue(v).withParam(p).withStore(st);
                        s = b == null
                                ? s.withLevel(QuantLevel.TENSOR)
                                : s.withLevel(QuantLevel.BLOCK).withBlockSize(b);
                        if (s.isValid()) {
                            out.add(s);
                        }
                    }
                }
            }
        }
        return out;
    }

    static float[] randomValues(Random rnd, int n) {
        float[] x = new float[n];
        float magnitude = (float) Math.pow(10, rnd.nextInt(7) - 4);
        for (int i = 0; i < n; i++) {
            x[i] = switch (rnd.nextInt(8)) {
                case 0 -> 0f;
                case 1 -> -0f;
                case 2 -> magnitude * (rnd.nextInt(9) - 4) * 0.5f; // ties and exact multiples
                default -> (float) (rnd.nextGaussian() * magnitude);
            };
        }
        return x;
    }

    @Test
    void forwardEqualsQuantizeThenDequantizeBitForBitForEveryScheme() {
        Random rnd = new Random(12);
        List<QuantScheme> schemes = allSchemes();
        int checked = 0;
        for (QuantScheme scheme : schemes) {
            for (int round = 0; round < 6; round++) {
                int rows = 1 + rnd.nextInt(6);
                int cols = 1 + rnd.nextInt(70);
                int[] shape =
                        scheme.blockRank() > 1 || rnd.nextBoolean() ? new int[] {rows, cols} : new int[] {rows * cols};
                FloatTensor x = FloatTensor.of(randomValues(rnd, rows * cols), shape);
                for (QuantKernels k : List.of(Kernels.scalar(), Kernels.active())) {
                    QuantizedTensor q = Kernels.scalar().quantize("w", x, scheme);
                    float[] expected = q.dequantize().data();
                    FakeQuantized fq = FakeQuantize.apply("w", x, scheme, k);
                    assertEquals(floatBits(expected).length, fq.values().length);
                    assertArrayEquals(floatBits(expected), floatBits(fq.values()), scheme + " " + k.name());
                    assertArrayEquals(q.codes(), fq.quantized().codes(), scheme + " codes");
                    // The element rule used for learned and observed scales equals the kernels' with the same scale.
                    float[] scales = q.scales();
                    float[] data = x.data();
                    float[] amax = new float[scales.length];
                    q.layout().forEachRun((block, from, to) -> {
                        for (int i = from; i < to; i++) {
                            amax[block] = Math.max(amax[block], Math.abs(data[i]));
                        }
                    });
                    q.layout().forEachRun((block, from, to) -> {
                        for (int i = from; i < to; i++) {
                            float s = scales[block];
                            // An all-zero block is +0.0 throughout (the contract), even where x is -0.0.
                            float viaLevel =
                                    amax[block] == 0f ? 0f : FakeQuantize.level(data[i], s, scheme.value()) * s;
                            assertEquals(
                                    Float.floatToRawIntBits(expected[i]),
                                    Float.floatToRawIntBits(viaLevel),
                                    scheme + " element " + i + " x=" + data[i] + " s=" + s);
                        }
                    });
                }
                checked++;
            }
        }
        assertTrue(schemes.size() > 100, "schemes: " + schemes.size());
        assertTrue(checked >= schemes.size() * 6);
    }

    private static int[] floatBits(float[] a) {
        return IntStream.range(0, a.length)
                .map(i -> Float.floatToRawIntBits(a[i]))
                .toArray();
    }

    @Test
    void straightThroughMaskMatchesHandComputedCases() {
        // Q8F per tensor, F32: s = 1.8 / 127.5; +1.8 / s = 127.5 rounds (half even) to 128, past b = 127: clipped.
        // -1.0 / s = -70.8, 0 and 0.5 / s = 35.4 are inside.
        QuantScheme q8f = QuantScheme.DEFAULT.withValue(QuantValue.Q8F);
        FakeQuantized fq = FakeQuantize.apply("w", FloatTensor.vector(new float[] {1.8f, -1.0f, 0f, 0.5f}), q8f);
        assertArrayEquals(new boolean[] {false, true, true, true}, fq.inside());
        assertEquals(127, fq.quantized().code(0));
        float[] g = {1f, 2f, 3f, 4f};
        assertArrayEquals(new float[] {0f, 2f, 3f, 4f}, fq.backward(g));
        assertEquals(1, fq.clipped());

        // Symmetric values with min-max scales never clip their own block: -1.8 / (1.8 / 127) = -127.
        FakeQuantized sym =
                FakeQuantize.apply("w", FloatTensor.vector(new float[] {-1.8f, -1.0f, 0f, 0.5f}), QuantScheme.DEFAULT);
        assertArrayEquals(new boolean[] {true, true, true, true}, sym.inside());

        // Given scales (learned or observed): Q2S with s = 1, codes [-1, 1].
        assertTrue(FakeQuantize.inside(1.4f, 1f, QuantValue.Q2S)); // rint 1
        assertFalse(FakeQuantize.inside(1.5f, 1f, QuantValue.Q2S)); // rint 2 (half even)
        assertTrue(FakeQuantize.inside(-0.5f, 1f, QuantValue.Q2S)); // rint -0 (half even)
        assertFalse(FakeQuantize.inside(-1.6f, 1f, QuantValue.Q2S));
        // Float values clip only when they saturate: E2M1 keeps |y| <= 6, E4M3 |y| <= 448.
        assertTrue(FakeQuantize.inside(6f, 1f, QuantValue.E2M1));
        assertFalse(FakeQuantize.inside(6.01f, 1f, QuantValue.E2M1));
        assertTrue(FakeQuantize.inside(-448f, 2f, QuantValue.E4M3));
        assertFalse(FakeQuantize.inside(-449f, 1f, QuantValue.E4M3));
        // An all-zero block has scale 0 and passes the gradient.
        assertTrue(FakeQuantize.inside(0f, 0f, QuantValue.Q4S));
    }

    @Test
    void staticActivationsClipOutsideTheObservedRange() {
        ActivationFakeQuantizer a = new ActivationFakeQuantizer(
                "fc.weight", ActivationMode.STATIC, ActivationCalibration.MOVING_AVERAGE_MIN_MAX);
        a.apply(new float[] {-1f, 1f}, 1, 2, null); // first batch: the range is [-1, 1], s = 1/127
        a.freeze();
        boolean[] inside = new boolean[4];
        // 2 * 127 = 254 and -3 * 127 are far out; 1.004 * 127 = 127.508 rounds to 128, out; -0.5 * 127 = -63.5 in.
        float[] out = a.apply(new float[] {2f, -0.5f, 1.004f, -3f}, 2, 2, inside);
        assertArrayEquals(new boolean[] {false, true, false, false}, inside);
        float s = 1f / 127f;
        assertEquals(127 * s, out[0]);
        assertEquals(-64 * s, out[1]); // -63.5 goes to the even -64
        assertEquals(-127 * s, out[3]);
        assertArrayEquals(
                new float[] {0f, 5f, 0f, 0f}, FakeQuantize.straightThrough(new float[] {9f, 5f, 7f, 1f}, inside));
    }

    @Test
    void movingAverageObserverFollowsPyTorchsUpdate() {
        var o = (MovingAverageMinMaxObserver)
                ActivationFakeQuantizer.observerFor(ActivationCalibration.MOVING_AVERAGE_MIN_MAX);
        o.observe(new float[] {-1f, 2f, 0.5f}, 0, 3);
        assertEquals(-1f, o.min());
        assertEquals(2f, o.max());
        o.observe(new float[] {-3f, 0f}, 0, 2);
        assertEquals(-1f + 0.01f * (-3f - -1f), o.min());
        assertEquals(2f + 0.01f * (0f - 2f), o.max());
        assertEquals(Math.max(Math.abs(o.min()), o.max()) / 127f, o.scale());

        var mm = (MinMaxObserver) ActivationFakeQuantizer.observerFor(ActivationCalibration.MIN_MAX);
        mm.observe(new float[] {-1f, 2f}, 0, 2);
        mm.observe(new float[] {-3f, 0f}, 0, 2);
        assertEquals(-3f, mm.min());
        assertEquals(2f, mm.max());
        assertThrows(
                IllegalArgumentException.class,
                () -> ActivationFakeQuantizer.observerFor(ActivationCalibration.ENTROPY));
    }

    @Test
    void dynamicActivationsEqualTheContractPerRow() {
        Random rnd = new Random(7);
        ActivationFakeQuantizer a =
                new ActivationFakeQuantizer("fc.weight", ActivationMode.DYNAMIC, ActivationCalibration.NONE);
        for (int round = 0; round < 50; round++) {
            int rows = 1 + rnd.nextInt(4);
            int cols = 1 + rnd.nextInt(40);
            float[] x = randomValues(rnd, rows * cols);
            float[] out = a.apply(x, rows, cols, null);
            for (int r = 0; r < rows; r++) {
                float[] row = java.util.Arrays.copyOfRange(x, r * cols, (r + 1) * cols);
                float[] expected = Kernels.scalar()
                        .quantize("row", FloatTensor.vector(row), QuantScheme.DEFAULT)
                        .dequantize()
                        .data();
                assertArrayEquals(
                        floatBits(expected), floatBits(java.util.Arrays.copyOfRange(out, r * cols, (r + 1) * cols)));
            }
        }
    }
}
