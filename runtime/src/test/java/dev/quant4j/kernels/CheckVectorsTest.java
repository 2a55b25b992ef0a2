package dev.quant4j.kernels;

import static dev.quant4j.kernels.ScalarCodes.codes;
import static dev.quant4j.kernels.ScalarCodes.deq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import org.junit.jupiter.api.Test;

/** The check vectors of the numeric contract (docs/NUMERICS.md), against the scalar reference. */
class CheckVectorsTest {
    private static final float[] X = {-1.8f, -1.0f, 0.0f, 0.5f};

    private static QuantizedTensor q(String scheme, float... x) {
        return Kernels.scalar().quantize("t", FloatTensor.vector(x), QuantScheme.parse(scheme));
    }

    /** A one-scale tensor's codes, its scale and its dequantized values. */
    private static void assertTensorScale(QuantizedTensor t, int[] codes, float scale, float[] values) {
        assertArrayEquals(codes, codes(t));
        assertEquals(scale, t.scales()[0]);
        assertArrayEquals(values, deq(t));
    }

    @Test
    void q8sTensor() {
        assertTensorScale(
                q("q8s", X), new int[] {-127, -71, 0, 35}, 0.014173228f, new float[] {-1.8f, -1.0062993f, 0f, 0.496063f
                });
        QuantizedTensor u = q("q8s", 5f, 0f, 4f, -12.7f);
        assertArrayEquals(new int[] {50, 0, 40, -127}, codes(u));
        assertEquals(0.1f, u.scales()[0]);
    }

    @Test
    void q8fTensor() {
        assertTensorScale(q("q8f", X), new int[] {-128, -71, 0, 35}, 0.014117647f, new float[] {
            -1.8070588f, -1.002353f, 0f, 0.49411765f
        });
    }

    @Test
    void q4AndQ2Tensor() {
        assertArrayEquals(new int[] {-8, -4, 0, 2}, codes(q("q4f", X)));
        assertEquals(0.24f, q("q4f", X).scales()[0]);
        assertArrayEquals(new int[] {-7, -4, 0, 2}, codes(q("q4s", X)));
        assertEquals(0.25714284f, q("q4s", X).scales()[0]);
        assertArrayEquals(new int[] {-2, -1, 0, 0}, codes(q("q2f", X)));
        assertEquals(1.1999999f, q("q2f", X).scales()[0]);
        assertArrayEquals(new int[] {-1, -1, 0, 0}, codes(q("q2s", X)));
        assertEquals(1.8f, q("q2s", X).scales()[0]);
    }

    @Test
    void q8sBlock2x4() {
        float[] x = new float[32];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 8; c++) {
                float lo = r < 2 ? 1f : 100f;
                float hi = r < 2 ? 10f : 1000f;
                x[r * 8 + c] = c < 4 ? lo : hi;
            }
        }
        QuantizedTensor t = Kernels.scalar().quantize("t", FloatTensor.of(x, 4, 8), QuantScheme.parse("q8s:block2x4"));
        assertArrayEquals(new float[] {1f / 127, 10f / 127, 100f / 127, 1000f / 127}, t.scales());
        assertArrayEquals(x, deq(t));
    }

    @Test
    void e2m1AndE4m3WithUnitScale() {
        // amax = 6 (or 448) makes the raw scale exactly 1.
        float[] in = {0.2f, 0.3f, 1.4f, 2.6f, 4.9f, 5.5f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 6f};
        float[] want = {0, 0.5f, 1.5f, 3, 4, 6, 0, 1, 1, 2, 2, 4, 4, 6};
        QuantizedTensor t = q("e2m1", in);
        assertEquals(1f, t.scales()[0]);
        assertArrayEquals(want, deq(t));
        float[] e4 = {0.5f, 1.5f, 2.5f, 0.0625f, 288f, 300f, 448f};
        QuantizedTensor u = q("e4m3", e4);
        assertEquals(1f, u.scales()[0]);
        assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 0.0625f, 288f, 288f, 448f}, deq(u));
        assertEquals(QuantValue.E4M3.bits(), 8);
    }

    @Test
    void saturationWithUnitScale() {
        // The table's "s = 1" rows that no tensor can reach with s = 1 (its amax would set a larger scale):
        // checked at the kernel's per-element step with the scale given.
        for (float x : new float[] {449f, 1e4f, 1e30f}) {
            assertEquals(448f, MiniFloat.E4M3.decode(QuantRules.encode(x, 1f, QuantValue.E4M3)), "E4M3 " + x);
            assertEquals(-448f, MiniFloat.E4M3.decode(QuantRules.encode(-x, 1f, QuantValue.E4M3)), "E4M3 " + -x);
        }
        for (float x : new float[] {7f, 100f}) {
            assertEquals(6f, MiniFloat.E2M1.decode(QuantRules.encode(x, 1f, QuantValue.E2M1)), "E2M1 " + x);
        }
        assertEquals(57344f, MiniFloat.E5M2.decode(QuantRules.encode(1e30f, 1f, QuantValue.E5M2)));
    }

    @Test
    void u32PackingOfInt8Codes() {
        // Q8F with amax 127.5 has s = 1: -127.5 -> -128 (tie to even), 127.5 -> 128 clamped to 127.
        QuantizedTensor t = q("q8f:u32", -127.5f, 2f, -3f, 127.5f);
        assertArrayEquals(new int[] {-128, 2, -3, 127}, codes(t));
        assertEquals(4, t.codes().length);
        assertEquals(0x7FFD0280, Packing.word(t.codes(), 0));
        QuantizedTensor five = q("q8f:u32", -127.5f, 2f, -3f, 127.5f, 55f);
        assertEquals(8, five.codes().length);
        assertEquals(0x7FFD0280, Packing.word(five.codes(), 0));
        assertEquals(0x00000037, Packing.word(five.codes(), 1));
        // NATIVE: the same bytes, without the last word's padding.
        QuantizedTensor nat = q("q8f:native", -127.5f, 2f, -3f, 127.5f, 55f);
        assertEquals(QuantStore.NATIVE, nat.scheme().store());
        assertArrayEquals(new byte[] {(byte) 0x80, 0x02, (byte) 0xFD, 0x7F, 0x37}, nat.codes());
    }
}
