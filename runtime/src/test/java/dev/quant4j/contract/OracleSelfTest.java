package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The oracle itself is held to the contract's published check vectors and to the JVM's IEEE 754
 * float arithmetic (which the JLS defines as correctly rounded), without touching the runtime's main
 * code. If the oracle misread a rule, this is where it shows, not as a "bug" in the implementation.
 */
class OracleSelfTest {
    private static final float[] X = {-1.8f, -1.0f, 0.0f, 0.5f};

    private static ContractOracle.Expected tensor(ContractValue v, float... x) {
        return ContractOracle.expect(
                new int[] {x.length}, x, new ContractOracle.Scheme(v, null, QuantStore.U32, QuantParam.F32));
    }

    @Test
    void integerCheckVectors() {
        ContractOracle.Expected q8s = tensor(ContractValue.Q8S, X);
        assertArrayEquals(new int[] {-127, -71, 0, 35}, q8s.codes());
        assertEquals(0.014173228f, q8s.scales()[0]);
        assertArrayEquals(new float[] {-1.8f, -1.0062993f, 0f, 0.496063f}, q8s.dequantized());
        ContractOracle.Expected q8s2 = tensor(ContractValue.Q8S, 5f, 0f, 4f, -12.7f);
        assertArrayEquals(new int[] {50, 0, 40, -127}, q8s2.codes());
        assertEquals(0.1f, q8s2.scales()[0]);
        ContractOracle.Expected q8f = tensor(ContractValue.Q8F, X);
        assertArrayEquals(new int[] {-128, -71, 0, 35}, q8f.codes());
        assertEquals(0.014117647f, q8f.scales()[0]);
        assertArrayEquals(new float[] {-1.8070588f, -1.002353f, 0f, 0.49411765f}, q8f.dequantized());
        assertArrayEquals(new int[] {-8, -4, 0, 2}, tensor(ContractValue.Q4F, X).codes());
        assertEquals(0.24f, tensor(ContractValue.Q4F, X).scales()[0]);
        assertArrayEquals(new int[] {-7, -4, 0, 2}, tensor(ContractValue.Q4S, X).codes());
        assertEquals(0.25714284f, tensor(ContractValue.Q4S, X).scales()[0]);
        assertArrayEquals(new int[] {-2, -1, 0, 0}, tensor(ContractValue.Q2F, X).codes());
        assertEquals(1.1999999f, tensor(ContractValue.Q2F, X).scales()[0]);
        assertArrayEquals(new int[] {-1, -1, 0, 0}, tensor(ContractValue.Q2S, X).codes());
        assertEquals(1.8f, tensor(ContractValue.Q2S, X).scales()[0]);
    }

    @Test
    void block2x4CheckVector() {
        float[] x = new float[32];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 8; c++) {
                x[r * 8 + c] = r < 2 ? (c < 4 ? 1f : 10f) : (c < 4 ? 100f : 1000f);
            }
        }
        ContractOracle.Expected e = ContractOracle.expect(
                new int[] {4, 8},
                x,
                new ContractOracle.Scheme(ContractValue.Q8S, new int[] {2, 4}, QuantStore.U32, QuantParam.F32));
        assertArrayEquals(new int[] {2, 2}, e.grid());
        assertArrayEquals(new float[] {1f / 127, 10f / 127, 100f / 127, 1000f / 127}, e.scales());
        assertArrayEquals(x, e.dequantized());
    }

    @Test
    void floatFormatCheckVectors() {
        float[] e2m1In = {0.2f, 0.3f, 1.4f, 2.6f, 4.9f, 5.5f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 7f, 100f};
        double[] e2m1Want = {0, 0.5, 1.5, 3, 4, 6, 0, 1, 1, 2, 2, 4, 4, 6, 6};
        for (int i = 0; i < e2m1In.length; i++) {
            assertEquals(e2m1Want[i], FloatFormat.E2M1.value(FloatFormat.E2M1.encode(e2m1In[i])), "E2M1 " + e2m1In[i]);
        }
        float[] e4m3In = {0.5f, 1.5f, 2.5f, 0.0625f, 288f, 300f, 449f, 1e4f, 1e30f};
        double[] e4m3Want = {0.5, 1.5, 2.5, 0.0625, 288, 288, 448, 448, 448};
        for (int i = 0; i < e4m3In.length; i++) {
            assertEquals(e4m3Want[i], FloatFormat.E4M3.value(FloatFormat.E4M3.encode(e4m3In[i])), "E4M3 " + e4m3In[i]);
        }
        assertEquals(57344.0, FloatFormat.E5M2.value(FloatFormat.E5M2.encode(1e30f)));
    }

    @Test
    void packingCheckVector() {
        assertArrayEquals(new int[] {0x7FFD0280}, ContractOracle.packWords(new int[] {-128, 2, -3, 127}, 8));
        assertArrayEquals(
                new int[] {0x7FFD0280, 0x00000037}, ContractOracle.packWords(new int[] {-128, 2, -3, 127, 55}, 8));
    }

    @Test
    void formatTablesMatchTheVocabulary() {
        assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 3, 4, 6}, FloatFormat.E2M1.magnitudes());
        assertEquals(448f, FloatFormat.E4M3.largestFinite());
        assertEquals(57344f, FloatFormat.E5M2.largestFinite());
        assertEquals(Math.pow(2, -9), FloatFormat.E4M3.smallestSubnormal());
        assertEquals(Math.pow(2, -16), FloatFormat.E5M2.smallestSubnormal());
        // E4M3FN: only S.1111.111 is NaN; E5M2: S.11111.00 is infinity, S.11111.xx NaN.
        int nanCount = 0;
        for (int c = 0; c < 256; c++) {
            if (Double.isNaN(FloatFormat.E4M3.value(c))) {
                nanCount++;
                assertEquals(0x7F, c & 0x7F);
            }
        }
        assertEquals(2, nanCount);
        assertEquals(Double.POSITIVE_INFINITY, FloatFormat.E5M2.value(0x7C));
        assertEquals(Double.NEGATIVE_INFINITY, FloatFormat.E5M2.value(0xFC));
        assertTrue(Double.isNaN(FloatFormat.E5M2.value(0x7D)));
        assertEquals(65504.0, ScaleGrid.largest(QuantParam.F16));
        assertEquals((2 - Math.pow(2, -7)) * Math.pow(2, 127), ScaleGrid.largest(QuantParam.BF16));
        assertEquals(Math.pow(2, 127), ScaleGrid.largest(QuantParam.UE8M0));
        assertEquals(Math.pow(2, -127), ScaleGrid.values(QuantParam.UE8M0)[0]);
        assertEquals(Math.pow(2, -24), ScaleGrid.values(QuantParam.F16)[1]);
        assertEquals(Math.pow(2, -133), ScaleGrid.values(QuantParam.BF16)[1]);
        // The contract's round-up example.
        assertEquals(1.001953125, ScaleGrid.roundUp(1.0012f, QuantParam.F16));
    }

    /** Java's float / and * are IEEE 754 round-to-nearest-even (JLS 15.17): the oracle's exact routine must agree. */
    @Test
    void exactArithmeticAgreesWithIeeeFloat() {
        long seed = 0x5EEDL;
        SplittableRandom r = new SplittableRandom(seed);
        int cases = 60_000;
        for (int i = 0; i < cases; i++) {
            float a = anyFloat(r);
            float b = anyFloat(r);
            if (b != 0f) {
                check(a / b, Exact.divide(a, b), "divide", a, b, seed, i);
            }
            check(a * b, Exact.multiply(Exact.of(a), Exact.of(b)), "multiply", a, b, seed, i);
            check(a / 127.5f, Exact.divideByRational(a, 255, 2), "divide by 127.5", a, 127.5f, seed, i);
            check(a / 7f, Exact.divideByRational(a, 14, 2), "divide by 7", a, 7f, seed, i);
            // Numeric comparison: rint keeps the sign of a zero result, the integer code has none.
            if (Math.rint(a) != Exact.roundHalfEven(a)) {
                fail("rint(" + a + ") seed " + seed + " case " + i);
            }
        }
    }

    private static void check(float want, float got, String op, float a, float b, long seed, int i) {
        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) {
            fail(op + "(" + a + ", " + b + "): IEEE " + want + ", oracle " + got + " (seed " + seed + " case " + i
                    + ")");
        }
    }

    /** Finite floats of every kind: any bit pattern, subnormals, small integers and halves, huge values. */
    static float anyFloat(SplittableRandom r) {
        while (true) {
            float f = switch (r.nextInt(5)) {
                case 0 -> Float.intBitsToFloat(r.nextInt());
                case 1 -> Float.intBitsToFloat(r.nextInt(0x00800000) | (r.nextBoolean() ? 0x80000000 : 0));
                case 2 -> r.nextInt(-600, 601) / 2f;
                case 3 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-140, 128)));
                default -> r.nextBoolean() ? Float.MAX_VALUE / (1 + r.nextInt(1000)) : Float.MIN_VALUE * r.nextInt(3);
            };
            if (Float.isFinite(f)) {
                return f;
            }
        }
    }
}
