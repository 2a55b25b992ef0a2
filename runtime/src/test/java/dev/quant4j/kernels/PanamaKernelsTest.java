package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import dev.quant4j.testkit.SeededCases;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels against the scalar reference, bit for bit, at this JVM's vector width. Surefire runs
 * this class once per width (-Dquant4j.vectorBits=128, 256, 512) and once with the scalar kernels forced.
 */
class PanamaKernelsTest {
    private static final QuantKernels SIMD = PanamaKernels.INSTANCE;
    private static final QuantKernels REF = Kernels.scalar();

    @Test
    void runsAtTheRequestedWidth() {
        String bits = System.getProperty(Kernels.VECTOR_BITS_PROPERTY);
        if (bits != null && Integer.parseInt(bits) <= PanamaSpecies.maxBits()) {
            assertEquals(Integer.parseInt(bits), PanamaKernels.vectorBits());
        }
        assertEquals("panama-" + PanamaKernels.vectorBits(), SIMD.name());
        System.out.println("PanamaKernelsTest at " + SIMD.name());
    }

    @Test
    void quantizeAndDequantizeMatchTheReferenceForEveryValueLevelStoreAndParam() {
        SeededCases seeded = new SeededCases(0x5EED_0001L);
        int[] cases = {0};
        for (int round = 0; round < 90; round++) {
            for (QuantValue value : RandomCases.VALUES) {
                seeded.next((caseSeed, r) -> {
                    int[] shape = RandomCases.shape(r, 3000);
                    QuantScheme scheme = RandomCases.scheme(r, value, shape);
                    float[] x = RandomCases.values(r, (int) Shapes.elementCount(shape), value);
                    compare(caseSeed, shape, scheme, x);
                    cases[0]++;
                });
            }
        }
        // Every store and param with block 32 on a shape that has full and cut-short blocks.
        for (QuantValue value : RandomCases.VALUES) {
            for (QuantParam param : QuantParam.values()) {
                for (QuantStore store : QuantStore.values()) {
                    if (store == QuantStore.NATIVE && value.isSubByte()) {
                        continue;
                    }
                    seeded.next((caseSeed, r) -> {
                        int[] shape = {5, 77};
                        QuantScheme scheme = QuantScheme.DEFAULT
                                .withValue(value)
                                .withParam(param)
                                .withStore(store)
                                .withBlockSize(32);
                        compare(caseSeed, shape, scheme, RandomCases.values(r, 5 * 77, value));
                        compare(
                                caseSeed,
                                shape,
                                scheme.withLevel(dev.quant4j.annotations.QuantLevel.TENSOR),
                                RandomCases.values(new SplittableRandom(caseSeed + 1), 5 * 77, value));
                        cases[0] += 2;
                    });
                }
            }
        }
        System.out.println(cases[0] + " random tensors identical at " + SIMD.name());
    }

    @Test
    void everyTieRoundsToEven() {
        // Scale exactly 1 (F32, amax = (b - a) / 2): every k + 0.5 in range is a tie.
        for (QuantValue value : new QuantValue[] {
            QuantValue.Q8F, QuantValue.Q8S, QuantValue.Q4F, QuantValue.Q4S, QuantValue.Q2F, QuantValue.Q2S
        }) {
            float amax = RandomCases.tieMax(value);
            int n = 0;
            float[] x = new float[2 * (int) (2 * amax + 4) + 1];
            x[n++] = amax;
            for (float t = -amax - 1.5f; t <= amax + 1.5f; t += 0.5f) {
                x[n++] = Math.max(-amax, Math.min(amax, t));
            }
            x = Arrays.copyOf(x, n);
            compare(0, new int[] {n}, QuantScheme.DEFAULT.withValue(value), x);
        }
        // Small floats: every midpoint between neighbouring codes, with scale 1.
        for (QuantValue value : new QuantValue[] {QuantValue.E4M3, QuantValue.E5M2, QuantValue.E2M1}) {
            float[] table = dev.quant4j.format.MiniFloat.of(value).decodeTable();
            float[] pos = Arrays.stream(boxed(table))
                    .filter(v -> Float.isFinite(v) && v >= 0)
                    .sorted()
                    .distinct()
                    .collect(() -> new FloatList(), FloatList::add, FloatList::addAll)
                    .toArray();
            FloatList xs = new FloatList();
            xs.add(value.largestFinite());
            for (int i = 0; i + 1 < pos.length; i++) {
                float mid = (pos[i] + pos[i + 1]) / 2;
                xs.add(mid);
                xs.add(-mid);
                xs.add(Math.nextUp(mid));
                xs.add(Math.nextDown(mid));
                xs.add(pos[i]);
                xs.add(-pos[i]);
            }
            float[] x = xs.toArray();
            compare(0, new int[] {x.length}, QuantScheme.DEFAULT.withValue(value), x);
        }
    }

    @Test
    void dequantizeMatchesForEveryCodeIncludingNanAndInfinityCodes() {
        SplittableRandom rnd = new SplittableRandom(0x5EED_0002L);
        for (QuantValue value : RandomCases.VALUES) {
            for (int rep = 0; rep < 20; rep++) {
                int n = rnd.nextInt(1, 400);
                QuantScheme scheme = QuantScheme.DEFAULT.withValue(value).withBlockSize(1 + rnd.nextInt(64));
                int[] shape = {n};
                byte[] codes = new byte[(int) Packing.packedBytes(n, value, scheme.store())];
                // Every bit pattern, including E4M3/E5M2 NaN and infinity codes, then padding left zero.
                for (int i = 0; i < n; i++) {
                    Packing.put(codes, i, value.bits(), rnd.nextInt(1 << value.bits()));
                }
                float[] scales = new float[new BlockLayout(shape, scheme).blockCount()];
                for (int b = 0; b < scales.length; b++) {
                    scales[b] = rnd.nextInt(5) == 0 ? 0f : (float) rnd.nextDouble(1e-3, 10);
                }
                QuantizedTensor q = new QuantizedTensor(shape, scheme, codes, scales);
                assertSameBits(dequantize(REF, q), dequantize(SIMD, q), "codes of " + scheme + " rep " + rep);
            }
        }
    }

    @Test
    void rejectsWhatTheReferenceRejectsWithTheSameError() {
        float[] x = new float[100];
        Arrays.fill(x, 1f);
        x[70] = Float.NaN;
        x[3] = 1e30f; // would overflow an F16 scale, but the NaN is reported first, as in the reference
        QuantScheme f16 = QuantScheme.parse("q8s:block32:f16");
        sameError(x, f16);
        x[70] = Float.POSITIVE_INFINITY;
        sameError(x, QuantScheme.parse("q4f:block2x16:f32"));
        x[70] = 1f;
        sameError(x, f16);
        sameError(x, QuantScheme.parse("e4m3:f16"));
        float[] big = new float[50];
        big[49] = 1e38f;
        sameError(big, QuantScheme.parse("q8f:block10:f16"));
    }

    private static void sameError(float[] x, QuantScheme scheme) {
        FloatTensor t = FloatTensor.of(x, 2, x.length / 2);
        QuantizationException want = assertThrows(QuantizationException.class, () -> REF.quantize("w", t, scheme));
        QuantizationException got = assertThrows(QuantizationException.class, () -> SIMD.quantize("w", t, scheme));
        assertEquals(want.getClass(), got.getClass());
        assertEquals(want.getMessage(), got.getMessage());
    }

    static void compare(long seed, int[] shape, QuantScheme scheme, float[] x) {
        FloatTensor t = FloatTensor.of(x, shape);
        QuantizedTensor want;
        try {
            want = REF.quantize("t", t, scheme);
        } catch (QuantizationException e) {
            QuantizationException got = assertThrows(
                    QuantizationException.class,
                    () -> SIMD.quantize("t", t, scheme),
                    RandomCases.describe(seed, shape, scheme));
            assertEquals(e.getMessage(), got.getMessage(), RandomCases.describe(seed, shape, scheme));
            return;
        }
        QuantizedTensor got = SIMD.quantize("t", t, scheme);
        String where = RandomCases.describe(seed, shape, scheme);
        assertSameBits(want.scales(), got.scales(), "scales, " + where);
        if (!Arrays.equals(want.codes(), got.codes())) {
            for (int i = 0; i < want.size(); i++) {
                if (want.code(i) != got.code(i)) {
                    int b = blockOf(want, i);
                    fail("code " + i + " of " + where + ": x = " + x[i] + " (bits 0x"
                            + Integer.toHexString(Float.floatToRawIntBits(x[i])) + "), scale " + want.scales()[b]
                            + ": reference " + want.code(i) + ", SIMD " + got.code(i));
                }
            }
            fail("packed bytes differ (padding?) for " + where);
        }
        assertSameBits(dequantize(REF, want), dequantize(SIMD, want), "dequantized, " + where);
    }

    private static int blockOf(QuantizedTensor q, int i) {
        BlockLayout layout = q.layout();
        int len = layout.rowLength();
        return layout.rowBlockBase(i / len) + (i % len) / layout.lastBlockExtent();
    }

    static float[] dequantize(QuantKernels k, QuantizedTensor q) {
        float[] out = new float[q.size()];
        k.dequantize(q, out);
        return out;
    }

    static void assertSameBits(float[] want, float[] got, String where) {
        assertEquals(want.length, got.length, where);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail("element " + i + " of " + where + ": reference " + want[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(want[i])) + "), SIMD " + got[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(got[i])) + ")");
            }
        }
    }

    private static Float[] boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }

    /** A growable float array. */
    static final class FloatList {
        private float[] a = new float[16];
        private int n;

        void add(float v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        void addAll(FloatList o) {
            for (int i = 0; i < o.n; i++) {
                add(o.a[i]);
            }
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
