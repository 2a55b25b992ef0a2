package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Row dequantization and quantization with caller-chosen scales, in every implementation, against the
 * scalar reference's whole-tensor {@code quantize} and {@code dequantize}, bit for bit. Surefire runs this
 * class at each SIMD width and with the scalar kernels forced (then {@link Kernels#active()} is scalar;
 * the SIMD kernels are still tested directly).
 */
class KernelEntriesTest {
    private static final QuantKernels REF = Kernels.scalar();
    private static final List<QuantKernels> IMPLEMENTATIONS = List.of(Kernels.active(), PanamaKernels.INSTANCE, REF);

    /** The reference's tensor, or null where its scale overflows the param type (the random values are wide). */
    private static QuantizedTensor quantizeOrNull(FloatTensor t, QuantScheme scheme) {
        try {
            return REF.quantize("t", t, scheme);
        } catch (QuantizationException e) {
            return null;
        }
    }

    /** A seeded random tensor, its scheme and the reference's quantization of it. */
    private record Case(
            long seed, int[] shape, QuantScheme scheme, FloatTensor tensor, QuantizedTensor q, SplittableRandom rnd) {
        String describe() {
            return RandomCases.describe(seed, shape, scheme);
        }
    }

    /**
     * {@code rounds} random tensors per value (block 32 one time in three, the fast paths' layout), skipping
     * those whose scale overflows their param type.
     */
    private static List<Case> cases(long seed, int rounds, int maxElements) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Case> out = new java.util.ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (QuantValue value : RandomCases.VALUES) {
                long caseSeed = rnd.nextLong();
                SplittableRandom r = new SplittableRandom(caseSeed);
                int[] shape = RandomCases.shape(r, maxElements);
                QuantScheme scheme = RandomCases.scheme(r, value, shape);
                if (shape.length > 0 && r.nextInt(3) == 0) {
                    scheme = scheme.withBlockSize(32);
                }
                FloatTensor t = FloatTensor.of(RandomCases.values(r, (int) Shapes.elementCount(shape), value), shape);
                QuantizedTensor q = quantizeOrNull(t, scheme);
                if (q != null) {
                    out.add(new Case(caseSeed, shape, scheme, t, q, r));
                }
            }
        }
        return out;
    }

    @Test
    void dequantizeRowsGivesTheBitsOfDequantizeForEveryValueLayoutAndRowRange() {
        int checked = 0;
        for (Case c : cases(0x5EED_0309L, 60, 3000)) {
            QuantizedTensor q = c.q();
            SplittableRandom r = c.rnd();
            float[] whole = PanamaKernelsTest.dequantize(REF, q);
            int rows = q.layout().rows();
            int len = q.layout().rowLength();
            for (int k = 0; k < 4; k++) {
                int from = rows == 0 ? 0 : r.nextInt(rows + 1);
                int to = from + (rows == from ? 0 : r.nextInt(rows - from + 1));
                int offset = r.nextInt(5);
                for (QuantKernels impl : IMPLEMENTATIONS) {
                    float[] out = new float[offset + (to - from) * len + r.nextInt(3)];
                    Arrays.fill(out, Float.NaN);
                    impl.dequantizeRows(q, from, to, out, offset);
                    String where = impl.name() + " rows [" + from + ", " + to + ") at " + offset + ", " + c.describe();
                    PanamaKernelsTest.assertSameBits(
                            Arrays.copyOfRange(whole, from * len, to * len),
                            Arrays.copyOfRange(out, offset, offset + (to - from) * len),
                            where);
                    for (int i = 0; i < offset; i++) {
                        assertTrue(Float.isNaN(out[i]), where + ": wrote before the offset");
                    }
                    for (int i = offset + (to - from) * len; i < out.length; i++) {
                        assertTrue(Float.isNaN(out[i]), where + ": wrote past the rows");
                    }
                    checked++;
                }
            }
            for (QuantKernels impl : IMPLEMENTATIONS) {
                PanamaKernelsTest.assertSameBits(
                        whole, PanamaKernelsTest.dequantize(impl, q), impl.name() + " dequantize, " + c.describe());
            }
        }
        System.out.println(checked + " row ranges identical to dequantize at "
                + Kernels.active().name());
    }

    @Test
    void dequantizeRowsRejectsRowsOutsideTheTensorAndShortOutput() {
        QuantizedTensor q =
                REF.quantize("t", FloatTensor.of(new float[6 * 40], 6, 40), QuantScheme.parse("q4s:block32:f16"));
        for (QuantKernels impl : IMPLEMENTATIONS) {
            assertThrows(IndexOutOfBoundsException.class, () -> impl.dequantizeRows(q, 5, 7, new float[80], 0));
            assertThrows(IndexOutOfBoundsException.class, () -> impl.dequantizeRows(q, -1, 1, new float[80], 0));
            assertThrows(IndexOutOfBoundsException.class, () -> impl.dequantizeRows(q, 3, 2, new float[80], 0));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> impl.dequantizeRows(q, 1, 3, new float[80], 1));
            assertTrue(e.getMessage().contains("take 80 floats from offset 1; the output holds 80"), e.getMessage());
        }
    }

    @Test
    void quantizeWithTheMinMaxScalesGivesTheSameTensorAndOtherScalesMatchTheReference() {
        int checked = 0;
        for (Case c : cases(0x5EED_0310L, 40, 2000)) {
            String where = c.describe();
            // Scales a search might choose: the min-max scale shrunk by up to a half, on the param grid.
            float[] chosen = c.q().scales().clone();
            for (int b = 0; b < chosen.length; b++) {
                float shrunk = chosen[b] * (float) (0.5 + 0.5 * c.rnd().nextDouble());
                float s = ScaleFormat.roundUp(shrunk, c.scheme().param());
                chosen[b] = s > 0f ? s : chosen[b];
            }
            QuantizedTensor want = REF.quantize("t", c.tensor(), c.scheme(), chosen);
            assertArrayEquals(chosen, want.scales(), where);
            for (QuantKernels impl : IMPLEMENTATIONS) {
                QuantizedTensor same = impl.quantize("t", c.tensor(), c.scheme(), c.q().scales());
                assertArrayEquals(c.q().codes(), same.codes(), impl.name() + " min-max, " + where);
                assertArrayEquals(c.q().scales(), same.scales(), impl.name() + " min-max, " + where);
                QuantizedTensor got = impl.quantize("t", c.tensor(), c.scheme(), chosen);
                assertArrayEquals(want.codes(), got.codes(), impl.name() + " chosen, " + where);
                assertArrayEquals(want.scales(), got.scales(), impl.name() + " chosen, " + where);
                checked++;
            }
        }
        System.out.println(checked + " tensors quantized with given scales identical at "
                + Kernels.active().name());
    }

    @Test
    void quantizeWithScalesRejectsScalesThatAreMissingOffTheGridOrZeroForANonZeroBlock() {
        QuantScheme scheme = QuantScheme.parse("q8s:block32:f16");
        float[] x = new float[64];
        x[40] = 1f;
        FloatTensor t = FloatTensor.of(x, 2, 32);
        for (QuantKernels impl : IMPLEMENTATIONS) {
            QuantizationException count =
                    assertThrows(QuantizationException.class, () -> impl.quantize("w", t, scheme, new float[] {1f}));
            assertEquals("tensor 'w' with " + scheme + " has 2 blocks; got 1 scales", count.getMessage());
            QuantizationException grid = assertThrows(
                    QuantizationException.class, () -> impl.quantize("w", t, scheme, new float[] {1f, 0.1f}));
            assertTrue(
                    grid.getMessage().contains("block [1, 0]: scale 0.1 is not a finite, non-negative F16"),
                    grid.getMessage());
            assertThrows(QuantizationException.class, () -> impl.quantize("w", t, scheme, new float[] {1f, -0f}));
            QuantizationException zero = assertThrows(
                    QuantizationException.class, () -> impl.quantize("w", t, scheme, new float[] {1f, 0f}));
            assertTrue(
                    zero.getMessage().contains("block [1, 0] holds max |x| = 1.0 but its scale is 0"),
                    zero.getMessage());
            // An all-zero block may have scale 0, as min-max gives it.
            QuantizedTensor ok = impl.quantize("w", t, scheme, new float[] {0f, 0.0078125f});
            assertEquals(0f, ok.scales()[0]);
            float[] wrongParam = {1f, Float.MIN_VALUE};
            assertThrows(
                    QuantizationException.class,
                    () -> impl.quantize("w", t, scheme.withParam(QuantParam.BF16), wrongParam));
        }
    }
}
