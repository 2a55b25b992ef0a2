package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.format.ScaleFormat;
import dev.quant4j.rules.QuantRules;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The format classes ({@link MiniFloat}, {@link ScaleFormat}) and the scalar kernels' per-value steps
 * against the oracle's enumerated formats: every code, every grid value and its neighbours, every
 * midpoint between neighbouring values and its neighbours, and many thousands of seeded random inputs.
 */
class FormatConformanceTest {
    private static final long SEED = 0xC0FFEEL;

    private static MiniFloat runtime(FloatFormat f) {
        return MiniFloat.valueOf(f.name());
    }

    @ParameterizedTest
    @EnumSource(FloatFormat.class)
    void decodesEveryCode(FloatFormat f) {
        MiniFloat m = runtime(f);
        assertEquals(f.bits, m.bits());
        assertEquals(f.largestFinite(), m.largestFinite());
        float[] table = m.decodeTable();
        assertEquals(f.codeCount(), table.length);
        for (int c = 0; c < f.codeCount(); c++) {
            float want = (float) f.value(c);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(m.decode(c)), f + " code 0x" + Integer.toHexString(c) + " must be NaN");
            } else {
                assertEquals(
                        Float.floatToRawIntBits(want),
                        Float.floatToRawIntBits(m.decode(c)),
                        f + " code 0x" + Integer.toHexString(c));
            }
            assertEquals(Float.floatToRawIntBits(m.decode(c)), Float.floatToRawIntBits(table[c]));
        }
    }

    /** Each representable value, each midpoint (a tie) and the floats right next to them, both signs. */
    @ParameterizedTest
    @EnumSource(FloatFormat.class)
    void encodesAroundEveryValueAndMidpoint(FloatFormat f) {
        MiniFloat m = runtime(f);
        double[] mags = f.magnitudes();
        int checked = 0;
        for (int i = 0; i < mags.length; i++) {
            float v = (float) mags[i];
            checked += encodeNeighbourhood(f, m, v);
            if (i + 1 < mags.length) {
                checked += encodeNeighbourhood(f, m, (float) ((mags[i] + mags[i + 1]) / 2));
            }
        }
        float max = f.largestFinite();
        for (float big :
                new float[] {max * 1.0001f, max * 1.5f, max * 2, Float.MAX_VALUE, 1e30f, 449f, 60000f, 7f, 100f}) {
            checked += encodeNeighbourhood(f, m, big);
        }
        assertTrue(checked > 8 * mags.length, "checked " + checked);
    }

    private static int encodeNeighbourhood(FloatFormat f, MiniFloat m, float v) {
        float[] around = {v, Math.nextUp(v), Math.nextDown(v), -v, -Math.nextUp(v), -Math.nextDown(v)};
        for (float y : around) {
            if (Float.isFinite(y)) {
                expectEncode(f, m, y, "neighbourhood of " + v);
            }
        }
        return around.length;
    }

    @ParameterizedTest
    @EnumSource(FloatFormat.class)
    void encodesRandomFloats(FloatFormat f) {
        MiniFloat m = runtime(f);
        SplittableRandom r = new SplittableRandom(SEED + f.ordinal());
        double top = f.largestFinite() * 1.2;
        for (int i = 0; i < 40_000; i++) {
            float y = switch (r.nextInt(4)) {
                case 0 -> OracleSelfTest.anyFloat(r);
                case 1 -> (float) ((r.nextDouble() * 2 - 1) * top);
                case 2 -> (float) ((r.nextDouble() * 2 - 1) * f.smallestNormal() * 2);
                default -> (float) ((r.nextDouble() * 2 - 1) * f.smallestSubnormal());
            };
            expectEncode(f, m, y, "seed " + (SEED + f.ordinal()) + " case " + i);
        }
    }

    private static void expectEncode(FloatFormat f, MiniFloat m, float y, String context) {
        int want = f.encode(y);
        int got = m.encode(y);
        if (want != got) {
            fail(f + ".encode(" + y + ") = 0x" + Integer.toHexString(got) + " (" + f.value(got) + "), contract says 0x"
                    + Integer.toHexString(want) + " (" + f.value(want) + "); " + context);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = QuantParam.class,
            names = {"F16", "BF16", "UE8M0"})
    void everyGridValueRoundTripsAndRoundsUpToItself(QuantParam p) {
        double[] grid = ScaleGrid.values(p);
        assertEquals(ScaleGrid.largest(p), ScaleFormat.max(p));
        for (int i = 0; i < grid.length; i++) {
            float s = (float) grid[i];
            String at = p + " value " + s + " (bits " + i + ")";
            assertTrue(ScaleFormat.isOnGrid(s, p), at);
            // The enumeration runs in bit-pattern order, so the index is the stored bits.
            assertEquals(i, ScaleFormat.encode(s, p), at + " encode");
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(ScaleFormat.decode(i, p)), at + " decode");
            assertEquals(s, ScaleFormat.roundUp(s, p), at + " roundUp");
            float above = Math.nextUp(s);
            if (i + 1 < grid.length && above < grid[i + 1]) {
                assertFalse(ScaleFormat.isOnGrid(above, p), p + " " + above + " is between grid values");
            }
            expectRoundUp(p, above, at + " nextUp");
            if (s > 0) {
                expectRoundUp(p, Math.nextDown(s), at + " nextDown");
            }
        }
        if (p == QuantParam.UE8M0) {
            assertTrue(Float.isNaN(ScaleFormat.decode(255, p)), "UE8M0 255 is its NaN");
            assertFalse(ScaleFormat.isOnGrid(0f, p), "UE8M0 has no zero");
        }
    }

    @Test
    void roundsRandomRawScalesUp() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 60_000; i++) {
            float raw = Math.abs(OracleSelfTest.anyFloat(r));
            for (QuantParam p : QuantParam.values()) {
                expectRoundUp(p, raw, "seed " + SEED + " case " + i);
            }
        }
        assertEquals(1.001953125f, ScaleFormat.roundUp(1.0012f, QuantParam.F16));
        assertEquals(1.0078125f, ScaleFormat.roundUp(1.0012f, QuantParam.BF16));
        assertEquals(2f, ScaleFormat.roundUp(1.0012f, QuantParam.UE8M0));
        assertEquals(1.0012f, ScaleFormat.roundUp(1.0012f, QuantParam.F32));
    }

    private static void expectRoundUp(QuantParam p, float raw, String context) {
        double want = ScaleGrid.roundUp(raw, p);
        float got = ScaleFormat.roundUp(raw, p);
        if (Double.isNaN(want)) {
            if (got != Float.POSITIVE_INFINITY) {
                fail(p + ".roundUp(" + raw + ") = " + got + ", but it is above the largest " + p + "; " + context);
            }
        } else if (Double.doubleToRawLongBits(want) != Double.doubleToRawLongBits(got)) {
            fail(p + ".roundUp(" + raw + ") = " + got + ", contract says " + want + "; " + context);
        }
    }

    /** The kernel's per-block scale and per-element code steps, against the oracle's. */
    @Test
    void scalarKernelStepsMatchTheOracle() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        int cases = 0;
        for (int i = 0; i < 30_000; i++) {
            float amax = Math.abs(OracleSelfTest.anyFloat(r));
            for (ContractValue v : ContractValue.values()) {
                float raw = v.rawScale(amax);
                assertEquals(
                        Float.floatToRawIntBits(raw),
                        Float.floatToRawIntBits(QuantRules.rawScale(amax, v.quantValue())),
                        v + " raw scale of amax " + amax);
                QuantParam p = QuantParam.values()[i % 4];
                double want = ScaleGrid.roundUp(raw, p);
                float got = QuantRules.storedScale(amax, v.quantValue(), p);
                assertEquals(
                        Double.isNaN(want) ? Float.POSITIVE_INFINITY : want,
                        got,
                        v + " " + p + " stored scale of amax " + amax);
                if (amax > 0 && !Double.isNaN(want)) {
                    float s = (float) want;
                    float x = (float) (amax * (r.nextDouble() * 2 - 1));
                    float y = Exact.divide(x, s);
                    int code = v.isFloat()
                            ? v.format.encode(y)
                            : (int) Math.max(v.a, Math.min(v.b, Exact.roundHalfEven(y)));
                    int gotCode = QuantRules.encode(x, s, v.quantValue());
                    if (code != gotCode) {
                        fail(v + " encode(" + x + ", " + s + ") = " + gotCode + ", contract says " + code + " (seed "
                                + (SEED + 1) + " case " + i + ")");
                    }
                    cases++;
                }
            }
        }
        assertTrue(cases > 200_000, "cases " + cases);
    }
}
