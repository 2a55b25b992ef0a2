package dev.quant4j.contract;

import static dev.quant4j.kernels.ScalarCodes.codes;
import static dev.quant4j.kernels.ScalarCodes.deq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.InvalidSchemeException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The contract's named edge cases, each with its expected numbers derived by hand in a comment, and
 * each input also run through {@link Conformance} (the oracle, bit for bit) where it is a tensor.
 */
class EdgeCasesTest {
    private static final float TWO_M149 = Float.MIN_VALUE;

    private static ContractOracle.Scheme scheme(ContractValue v, int[] block, QuantParam p) {
        return new ContractOracle.Scheme(v, block, QuantStore.U32, p);
    }

    /** Quantizes with the scalar reference after checking the same input against the oracle. */
    private static QuantizedTensor q(ContractValue v, int[] block, QuantParam p, int[] shape, float... x) {
        ContractOracle.Scheme s = scheme(v, block, p);
        Conformance.check("edge", shape, x, s, "EdgeCasesTest");
        return Kernels.scalar().quantize("edge", FloatTensor.of(x, shape), Conformance.toRuntime(s));
    }

    private static QuantizedTensor q(ContractValue v, QuantParam p, float... x) {
        return q(v, null, p, new int[] {x.length}, x);
    }

    private static void assertBits(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(
                    Float.floatToRawIntBits(want[i]),
                    Float.floatToRawIntBits(got[i]),
                    "element " + i + ": want " + want[i] + ", got " + got[i]);
        }
    }

    @Test
    void integerTiesRoundToEven() {
        // amax 127 with Q8S: s = 127 / 127 = 1 exactly, so x / s = x.
        QuantizedTensor t =
                q(ContractValue.Q8S, QuantParam.F32, 127f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.5f);
        assertEquals(1f, t.scales()[0]);
        assertArrayEquals(new int[] {127, 2, 4, -2, -4, 0, 0, 2, 126}, codes(t));
        // -0.5 rounds to code 0, which dequantizes to +0.0, never -0.0.
        assertBits(new float[] {127, 2, 4, -2, -4, 0f, 0f, 2, 126}, deq(t));

        // Q8F, amax 127.5: s = 127.5 / 127.5 = 1; +-127.5 -> 128 (clamped to 127) and -128.
        QuantizedTensor f = q(ContractValue.Q8F, QuantParam.F32, 127.5f, -127.5f, 126.5f, -126.5f);
        assertArrayEquals(new int[] {127, -128, 126, -126}, codes(f));

        // UE8M0 scales are powers of two: Q4S amax 7 -> raw 1 -> s = 2^0.
        QuantizedTensor u = q(ContractValue.Q4S, QuantParam.UE8M0, 7f, 0.5f, 1.5f, 2.5f, -6.5f, 5.5f);
        assertEquals(1f, u.scales()[0]);
        assertArrayEquals(new int[] {7, 0, 2, 2, -6, 6}, codes(u));

        // Q2F amax 1.5 -> s = 1.5 / 1.5 = 1: 1.5 -> 2 clamped to 1, -1.5 -> -2, +-0.5 -> 0.
        assertArrayEquals(
                new int[] {1, -2, 0, 0}, codes(q(ContractValue.Q2F, QuantParam.BF16, 1.5f, -1.5f, 0.5f, -0.5f)));
    }

    @Test
    void floatTiesRoundToEvenCode() {
        // E4M3 with amax 448: s = 1. 1.0625 is halfway 1 (0x38) / 1.125 (0x39): even 0x38.
        // 1.1875 is halfway 1.125 (0x39) / 1.25 (0x3A): 0x3A. 17: halfway 16 (0x58) / 18 -> 16; 19 -> 20 (0x5A).
        // 2^-10 is halfway 0 / 2^-9 (smallest subnormal) -> 0; 1.5 * 2^-9 is halfway codes 1 / 2 -> 2^-8.
        float h = (float) Math.pow(2, -10);
        QuantizedTensor t = q(ContractValue.E4M3, QuantParam.F32, 448f, 1.0625f, 1.1875f, -1.0625f, 17f, 19f, h, 3 * h);
        assertEquals(1f, t.scales()[0]);
        assertArrayEquals(new int[] {0x7E, 0x38, 0x3A, 0xB8, 0x58, 0x5A, 0x00, 0x02}, codes(t));
        assertBits(new float[] {448, 1f, 1.25f, -1f, 16, 20, 0f, (float) Math.pow(2, -8)}, deq(t));

        // E5M2 with amax 57344: s = 1. 1.125 halfway 1 / 1.25 -> 1; 1.375 halfway 1.25 / 1.5 -> 1.5.
        QuantizedTensor e5 = q(ContractValue.E5M2, QuantParam.F16, 57344f, 1.125f, 1.375f, -1.375f);
        assertBits(new float[] {57344f, 1f, 1.5f, -1.5f}, deq(e5));
    }

    @Test
    void subnormalInputsAndScaleUnderflow() {
        // amax = 3 * 2^-149; raw = amax / 127 is below 2^-150 and rounds to 0, so s_raw = 2^-149 and
        // x / s is the integer multiple of 2^-149: codes 1, -1, 3, dequantizing exactly.
        QuantizedTensor t = q(ContractValue.Q8S, QuantParam.F32, TWO_M149, -TWO_M149, 3 * TWO_M149);
        assertEquals(TWO_M149, t.scales()[0]);
        assertArrayEquals(new int[] {1, -1, 3}, codes(t));
        assertBits(new float[] {TWO_M149, -TWO_M149, 3 * TWO_M149}, deq(t));

        // E4M3: 2^-149 / 448 underflows -> s = 2^-149, y = 1 -> code 0x38 (1.0).
        QuantizedTensor e = q(ContractValue.E4M3, QuantParam.F32, TWO_M149);
        assertArrayEquals(new int[] {0x38}, codes(e));
        assertBits(new float[] {TWO_M149}, deq(e));

        // A subnormal scale that does not underflow: amax = 127 * 2^-140 -> s = 2^-140 exactly.
        float s = (float) Math.pow(2, -140);
        QuantizedTensor sub = q(ContractValue.Q8S, QuantParam.F32, 127 * s, s, -5 * s, 2.5f * s);
        assertEquals(s, sub.scales()[0]);
        assertArrayEquals(new int[] {127, 1, -5, 2}, codes(sub));

        // The same underflowed raw scale 2^-149 rounded up in the other param types:
        // F16 -> its smallest subnormal 2^-24, BF16 -> 2^-133 (bits 0x00010000), UE8M0 -> 2^-127.
        assertEquals(
                (float) Math.pow(2, -24),
                q(ContractValue.Q8S, QuantParam.F16, 5 * TWO_M149).scales()[0]);
        assertEquals(
                (float) Math.pow(2, -133),
                q(ContractValue.Q8S, QuantParam.BF16, 5 * TWO_M149).scales()[0]);
        assertEquals(
                (float) Math.pow(2, -127),
                q(ContractValue.Q8S, QuantParam.UE8M0, 5 * TWO_M149).scales()[0]);
        assertArrayEquals(new int[] {0}, codes(q(ContractValue.Q8S, QuantParam.F16, 5 * TWO_M149)));
    }

    @Test
    void signedZeros() {
        // Float values keep the sign: -0.0 and a negative value rounding to zero take code 0x80 -> -0.0.
        QuantizedTensor e = q(ContractValue.E4M3, QuantParam.F32, -0f, 0f, 448f, -1e-6f);
        assertArrayEquals(new int[] {0x80, 0x00, 0x7E, 0x80}, codes(e));
        assertBits(new float[] {-0f, 0f, 448f, -0f}, deq(e));
        QuantizedTensor e2 = q(ContractValue.E2M1, QuantParam.F32, -0f, 6f, -0.2f);
        assertArrayEquals(new int[] {0x8, 0x7, 0x8}, codes(e2));
        assertBits(new float[] {-0f, 6f, -0f}, deq(e2));
        // Integer values: code 0 has no sign and dequantizes to +0.0.
        QuantizedTensor i = q(ContractValue.Q8S, QuantParam.F32, -0f, 127f, -0.4f);
        assertArrayEquals(new int[] {0, 127, 0}, codes(i));
        assertBits(new float[] {0f, 127f, 0f}, deq(i));
    }

    @Test
    void allZeroBlocks() {
        // block 2 on [4]: block 0 = {0, -0}, all zero -> scale 0, codes 0, +0.0; block 1 = {5, -0}.
        QuantizedTensor t = q(ContractValue.Q8S, new int[] {2}, QuantParam.F32, new int[] {4}, 0f, -0f, 5f, -0f);
        assertEquals(0f, t.scales()[0]);
        assertEquals(0, Float.floatToRawIntBits(t.scales()[0]));
        assertArrayEquals(new int[] {0, 0, 127, 0}, codes(t));
        float[] d = deq(t);
        assertBits(new float[] {0f, 0f}, new float[] {d[0], d[1]});
        assertEquals(0, Float.floatToRawIntBits(d[3]));
        // Float values: an all-zero block uses the +0 code even for -0.0 inputs. Never NaN.
        for (ContractValue v : new ContractValue[] {ContractValue.E4M3, ContractValue.E5M2, ContractValue.E2M1}) {
            QuantizedTensor z = q(v, QuantParam.F16, -0f, -0f, 0f);
            assertArrayEquals(new int[] {0, 0, 0}, codes(z), v.name());
            assertBits(new float[] {0f, 0f, 0f}, deq(z));
            assertEquals(0f, z.scales()[0]);
        }
        // UE8M0 has no zero: an all-zero block stores its smallest value 2^-127.
        QuantizedTensor u = q(ContractValue.Q4F, QuantParam.UE8M0, 0f, -0f);
        assertEquals((float) Math.pow(2, -127), u.scales()[0]);
        assertBits(new float[] {0f, 0f}, deq(u));
    }

    @Test
    void floatValuesSaturate() {
        // The format's encoding with s = 1 (contract check vectors), at the format and kernel level.
        float[] e4 = {449f, 1e4f, 1e30f, 464f, 479f, Float.MAX_VALUE};
        for (float x : e4) {
            assertEquals(0x7E, MiniFloat.E4M3.encode(x), "E4M3 " + x);
            assertEquals(0xFE, MiniFloat.E4M3.encode(-x), "E4M3 " + -x);
            assertEquals(0x7E, QuantRules.encode(x, 1f, QuantValue.E4M3), "E4M3 " + x);
            assertEquals(448f, MiniFloat.E4M3.decode(QuantRules.encode(x, 1f, QuantValue.E4M3)));
        }
        // E5M2: above 57344 (where IEEE rounding would give infinity from 61440 on) saturates to 0x7B.
        for (float x : new float[] {57345f, 60000f, 61440f, 1e5f, 1e30f}) {
            assertEquals(0x7B, MiniFloat.E5M2.encode(x), "E5M2 " + x);
            assertEquals(57344f, MiniFloat.E5M2.decode(QuantRules.encode(x, 1f, QuantValue.E5M2)));
        }
        for (float x : new float[] {7f, 100f, 6.5f, 1e30f}) {
            assertEquals(0x7, MiniFloat.E2M1.encode(x), "E2M1 " + x);
            assertEquals(0xF, MiniFloat.E2M1.encode(-x), "E2M1 " + -x);
            assertEquals(6f, MiniFloat.E2M1.decode(QuantRules.encode(x, 1f, QuantValue.E2M1)));
        }
    }

    @Test
    void scalesRoundUpOntoTheParamGrid() {
        // Q2S divides by 1, so s_raw = amax = 1.0012f; F16 stores the next value up, 1 + 2^-9.
        QuantizedTensor t = q(ContractValue.Q2S, QuantParam.F16, 1.0012f, -0.5f);
        assertEquals(1.001953125f, t.scales()[0]);
        assertNotEquals(1.0009765625f, t.scales()[0], "nearest rounding would give 1 + 2^-10");
        assertArrayEquals(new int[] {1, 0}, codes(t));
        assertEquals(1.0078125f, q(ContractValue.Q2S, QuantParam.BF16, 1.0012f).scales()[0]);
        assertEquals(2f, q(ContractValue.Q2S, QuantParam.UE8M0, 1.0012f).scales()[0]);
        assertEquals(1.0012f, q(ContractValue.Q2S, QuantParam.F32, 1.0012f).scales()[0]);
        // Rounding up keeps |x / s| inside the range: with F16, amax lands on b or just below it.
        assertTrue(codes(q(ContractValue.Q8S, QuantParam.F16, 1.0012f * 127))[0] <= 127);
    }

    @Test
    void scaleOverflowNamesTensorAndBlock() {
        // F16: Q8S amax 65504 * 127 = 8319008 gives s = 65504 exactly, the largest F16: fine.
        assertEquals(65504f, q(ContractValue.Q8S, QuantParam.F16, 8319008f).scales()[0]);
        // One float32 step more gives s_raw = 65504.0078125 > 65504: error naming tensor and block.
        float[] x = {1f, 1f, 1f, 1f, 1f, 1f, 1f, Math.nextUp(8319008f)};
        QuantScheme f16 = QuantScheme.parse("q8s:block2:f16");
        QuantizationException e = refused("layer.weight", FloatTensor.of(x, 2, 4), f16);
        assertTrue(e.getMessage().contains("'layer.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("block [1, 1]"), e.getMessage());
        assertTrue(e.getMessage().contains("F16"), e.getMessage());
        Conformance.check(
                "layer.weight",
                new int[] {2, 4},
                x,
                scheme(ContractValue.Q8S, new int[] {2}, QuantParam.F16),
                "F16 overflow");

        // BF16 tops out at 0x7F7F0000 (about 3.39e38); Q2S makes s_raw = amax.
        float bf16Max = Float.intBitsToFloat(0x7F7F0000);
        assertEquals(bf16Max, q(ContractValue.Q2S, QuantParam.BF16, bf16Max).scales()[0]);
        QuantizationException b =
                refused("emb", FloatTensor.vector(new float[] {Math.nextUp(bf16Max)}), QuantScheme.parse("q2s:bf16"));
        assertTrue(b.getMessage().contains("'emb'") && b.getMessage().contains("block [0]"), b.getMessage());

        // UE8M0 tops out at 2^127.
        float p127 = (float) Math.pow(2, 127);
        assertEquals(p127, q(ContractValue.Q2S, QuantParam.UE8M0, p127).scales()[0]);
        QuantizationException u = refused(
                "mx", FloatTensor.vector(new float[] {0f, -Math.nextUp(p127)}), QuantScheme.parse("q2s:ue8m0:block1"));
        assertTrue(u.getMessage().contains("'mx'") && u.getMessage().contains("block [1]"), u.getMessage());

        // F32 holds any raw scale: the largest float quantizes.
        assertEquals(
                Float.MAX_VALUE,
                q(ContractValue.Q2S, QuantParam.F32, Float.MAX_VALUE).scales()[0]);
    }

    @Test
    void nonFiniteInputIsRejectedNamingTensorIndexAndValue() {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int[][] shapes = {{7}, {3, 5}, {2, 3, 4}, {}};
        String[] schemes = {"q8s", "q4f:block2x2:f16", "e4m3:block3:bf16", "e2m1:ue8m0", "q8f:block1:native:f32"};
        SplittableRandom r = new SplittableRandom(42);
        int checked = 0;
        for (int[] shape : shapes) {
            int n = TensorGen.elementCount(shape);
            for (String text : schemes) {
                QuantScheme qs = QuantScheme.parse(text);
                if (!qs.problemsFor(shape).isEmpty()) {
                    continue;
                }
                for (float v : bad) {
                    for (int position : new int[] {0, n / 2, n - 1}) {
                        float[] x = TensorGen.values(r, n, TensorGen.Style.GAUSSIAN);
                        x[position] = v;
                        NonFiniteValueException e = assertThrows(
                                NonFiniteValueException.class,
                                () -> Kernels.scalar().quantize("enc.layers.3.w", FloatTensor.of(x, shape), qs));
                        assertEquals(position, e.index());
                        assertEquals(Float.floatToIntBits(v), Float.floatToIntBits(e.value()));
                        assertEquals("enc.layers.3.w", e.tensor());
                        String m = e.getMessage();
                        assertTrue(
                                m.contains("'enc.layers.3.w'")
                                        && m.contains("index " + position)
                                        && m.contains(Float.toString(v)),
                                m);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked >= 90, "checked " + checked);
        // Several non-finite values: the one named is one of them, with its own value.
        float[] x = {1f, Float.NaN, 2f, Float.NEGATIVE_INFINITY};
        Conformance.check("two", new int[] {4}, x, scheme(ContractValue.Q8F, null, QuantParam.F32), "two bad values");
    }

    @Test
    void tinyValuesWithF16ScalesQuantizeToZerosWithoutError() {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * 1e-30);
        }
        // s_raw ~ 1e-32 rounds up to F16's smallest step 2^-24; |x / s| < 2^-75, so every code is 0.
        for (ContractValue v :
                new ContractValue[] {ContractValue.Q8S, ContractValue.Q4F, ContractValue.E4M3, ContractValue.E2M1}) {
            QuantizedTensor t = q(v, null, QuantParam.F16, new int[] {8, 8}, x);
            assertEquals((float) Math.pow(2, -24), t.scales()[0]);
            float[] d = deq(t);
            for (int i = 0; i < d.length; i++) {
                assertEquals(0f, d[i], 0f, v + " element " + i);
                // Integer code 0 is +0.0; float values keep the sign of what rounded to zero.
                boolean negativeZero = Float.floatToRawIntBits(d[i]) < 0;
                assertEquals(v.isFloat() && x[i] < 0, negativeZero, v + " element " + i);
            }
        }
    }

    @Test
    void zeroElementTensors() {
        for (QuantParam p : QuantParam.values()) {
            float want = p == QuantParam.UE8M0 ? (float) Math.pow(2, -127) : 0f;
            QuantizedTensor t = q(ContractValue.Q4F, null, p, new int[] {0});
            assertArrayEquals(new float[] {want}, t.scales(), p + ": tensor level has one scale");
            assertEquals(0, t.codes().length);
            QuantizedTensor t3 = q(ContractValue.E4M3, null, p, new int[] {4, 0, 3});
            assertEquals(1, t3.scales().length);
            QuantizedTensor b = q(ContractValue.Q8S, new int[] {2, 2}, p, new int[] {3, 0});
            assertEquals(0, b.scales().length, "block level: empty grid");
            assertArrayEquals(new int[] {2, 0}, new BlockLayout(new int[] {3, 0}, b.scheme()).grid());
            assertEquals(0, deq(b).length);
        }
    }

    @Test
    void rankZeroTakesTheTensorLevelOnly() {
        // -2.5 alone: Q8S s = 2.5 / 127, code -127; dequantized -127 * s.
        QuantizedTensor t = q(ContractValue.Q8S, null, QuantParam.F32, new int[] {}, -2.5f);
        assertEquals(0, t.rank());
        assertArrayEquals(new int[] {-127}, codes(t));
        assertEquals(2.5f / 127, t.scales()[0]);
        for (String text : new String[] {"q8s:block1", "q4f:block32", "e4m3:block1x1"}) {
            QuantizationException e = refused("bias0", FloatTensor.of(new float[] {1f}), QuantScheme.parse(text));
            assertTrue(e.getMessage().contains("'bias0'") && e.getMessage().contains("dimensions"), e.getMessage());
        }
    }

    @Test
    void blockWithMoreExtentsThanTheTensorIsAnError() {
        float[] x = new float[32];
        QuantizationException e = refused("proj", FloatTensor.of(x, 4, 8), QuantScheme.parse("q8s:block2x2x2"));
        assertTrue(e.getMessage().contains("'proj'") && e.getMessage().contains("block2x2x2"), e.getMessage());
        assertFalse(QuantScheme.parse("q8s:block2x2x2")
                .problemsFor(new int[] {4, 8})
                .isEmpty());
        // Leading 1s do not count: block1x1x4x8 is block4x8 and fits a rank-2 tensor.
        QuantizedTensor ok = q(ContractValue.Q8S, new int[] {1, 1, 4, 8}, QuantParam.F32, new int[] {4, 8}, x);
        assertEquals(QuantScheme.parse("q8s:block4x8"), ok.scheme());
        assertEquals(1, ok.scales().length);
    }

    @Test
    void subByteValuesWithNativeStoreAreRejected() {
        for (QuantValue v : QuantValue.values()) {
            QuantScheme s = QuantScheme.DEFAULT.withValue(v).withStore(QuantStore.NATIVE);
            if (v.bits() == 8) {
                assertTrue(s.isValid(), s + " is valid");
                continue;
            }
            InvalidSchemeException e = assertThrows(InvalidSchemeException.class, s::validate);
            assertEquals("store", e.problems().get(0).attribute());
            assertThrows(InvalidSchemeException.class, () -> new Quantizer(s));
            QuantizationException k = refused("packed.w", FloatTensor.vector(new float[] {1f, 2f}), s);
            assertTrue(k.getMessage().contains("'packed.w'") && k.getMessage().contains("U32"), k.getMessage());
        }
        assertFalse(QuantScheme.parse("q4f:native").isValid());
        assertFalse(QuantScheme.parse("e2m1:native:block32").isValid());
        assertTrue(QuantScheme.parse("e4m3:native").isValid());
        assertEquals(ScaleFormat.UE8M0_MIN, (float) Math.pow(2, -127));
    }

    /** The scalar kernel's refusal to quantize {@code x} as the tensor {@code name} under {@code scheme}. */
    private static QuantizationException refused(String name, FloatTensor x, QuantScheme scheme) {
        return assertThrows(QuantizationException.class, () -> Kernels.scalar().quantize(name, x, scheme));
    }
}
