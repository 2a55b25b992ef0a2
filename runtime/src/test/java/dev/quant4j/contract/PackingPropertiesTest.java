package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * U32 packing round trips for 2-, 4- and 8-bit codes: {@link Packing} against the oracle's word
 * layout (code k in bits [k * bits, (k + 1) * bits) of word k * bits / 32, low bits first, last word
 * zero-padded, words stored little-endian), and read back sign-extended.
 */
class PackingPropertiesTest {
    private static final long SEED = 0x9ACCL;

    private static byte[] pack(int[] codes, int bits, QuantValue v, QuantStore store) {
        byte[] out = new byte[(int) Packing.packedBytes(codes.length, v, store)];
        for (int i = 0; i < codes.length; i++) {
            Packing.put(out, i, bits, codes[i]);
        }
        return out;
    }

    @Test
    void checkVector() {
        byte[] four = pack(new int[] {-128, 2, -3, 127}, 8, QuantValue.Q8F, QuantStore.U32);
        assertEquals(4, four.length);
        assertEquals(0x7FFD0280, Packing.word(four, 0));
        byte[] five = pack(new int[] {-128, 2, -3, 127, 55}, 8, QuantValue.Q8F, QuantStore.U32);
        assertEquals(8, five.length);
        assertEquals(0x7FFD0280, Packing.word(five, 0));
        assertEquals(0x00000037, Packing.word(five, 1));
        assertArrayEquals(Conformance.wordsToLittleEndian(new int[] {0x7FFD0280, 0x37}), five);
    }

    @Test
    void randomCodesRoundTrip() {
        SplittableRandom r = new SplittableRandom(SEED);
        QuantValue[] byBits = {QuantValue.Q2F, QuantValue.Q4F, QuantValue.Q8F};
        int[] boundaryCounts = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
        int cases = 20_000;
        for (int c = 0; c < cases; c++) {
            QuantValue v = byBits[r.nextInt(3)];
            int bits = v.bits();
            int n = r.nextBoolean() ? boundaryCounts[r.nextInt(boundaryCounts.length)] : r.nextInt(200);
            int[] codes = new int[n];
            int lo = -(1 << (bits - 1));
            int hi = (1 << (bits - 1)) - 1;
            for (int i = 0; i < n; i++) {
                int p = r.nextInt(8);
                codes[i] = p == 0 ? lo : p == 1 ? hi : p == 2 ? 0 : p == 3 ? -1 : r.nextInt(lo, hi + 1);
            }
            String at = bits + "-bit codes " + Arrays.toString(codes) + " (seed " + SEED + " case " + c + ")";
            int[] words = ContractOracle.packWords(codes, bits);
            assertEquals((n * bits + 31) / 32, words.length);
            assertEquals(words.length, Packing.words(n, v), at);
            byte[] packed = pack(codes, bits, v, QuantStore.U32);
            assertArrayEquals(Conformance.wordsToLittleEndian(words), packed, at);
            for (int w = 0; w < words.length; w++) {
                assertEquals(words[w], Packing.word(packed, w), at + " word " + w);
            }
            for (int i = 0; i < n; i++) {
                if (Packing.getSigned(packed, i, bits) != codes[i]
                        || Packing.getRaw(packed, i, bits) != (codes[i] & ((1 << bits) - 1))) {
                    fail("code " + i + " read back as " + Packing.getSigned(packed, i, bits) + ": " + at);
                }
            }
            if (bits == 8) {
                byte[] nativeBytes = pack(codes, bits, v, QuantStore.NATIVE);
                assertEquals(n, nativeBytes.length);
                assertArrayEquals(Arrays.copyOf(packed, n), nativeBytes, "NATIVE has the same bit patterns: " + at);
            }
        }
    }

    /** The kernels' two stores of an 8-bit value differ only by the last word's zero padding. */
    @Test
    void nativeAndU32StoresAgreeThroughTheKernels() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int c = 0; c < 2000; c++) {
            int n = r.nextInt(70);
            float[] x = TensorGen.values(r, n, TensorGen.drawStyle(r));
            QuantValue v = new QuantValue[] {QuantValue.Q8F, QuantValue.Q8S, QuantValue.E4M3, QuantValue.E5M2}[c % 4];
            QuantScheme u32 = QuantScheme.DEFAULT.withValue(v).withBlockSize(1 + r.nextInt(9));
            QuantizedTensor a;
            try {
                a = Kernels.scalar().quantize("t", FloatTensor.vector(x), u32);
            } catch (IllegalArgumentException overflowOrSo) {
                continue;
            }
            QuantizedTensor b = Kernels.scalar().quantize("t", FloatTensor.vector(x), u32.withStore(QuantStore.NATIVE));
            assertEquals((n * 8 + 31) / 32 * 4, a.codes().length);
            assertArrayEquals(Arrays.copyOf(a.codes(), n), b.codes(), "seed " + (SEED + 1) + " case " + c);
            for (int i = n; i < a.codes().length; i++) {
                assertEquals(0, a.codes()[i], "padding byte " + i + ", seed " + (SEED + 1) + " case " + c);
            }
            assertArrayEquals(a.scales(), b.scales());
        }
    }
}
