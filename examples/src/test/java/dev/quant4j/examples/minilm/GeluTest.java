package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GeluTest {

    @Test
    void erfMatchesReferenceValues() {
        // Values of erf from Python's math.erf (C library), to double precision.
        double[][] table = {
            {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149},
            {1.5, 0.9661051464753108}, {2.0, 0.9953222650189527}, {3.0, 0.9999779095030014},
            {4.0, 0.9999999845827421}, {5.0, 0.9999999999984626},
        };
        for (double[] row : table) {
            assertEquals(row[1], Gelu.erf(row[0]), 2e-15, "erf(" + row[0] + ")");
            assertEquals(-row[1], Gelu.erf(-row[0]), 2e-15, "erf(-" + row[0] + ")");
            assertEquals(row[1], Gelu.erfSeries(row[0]), 2e-15, "erfSeries(" + row[0] + ")");
        }
        assertEquals(0.0, Gelu.erf(0.0));
        assertEquals(1.0, Gelu.erf(6.0));
        assertEquals(-1.0, Gelu.erf(-40.0));
    }

    @Test
    void fastErfAgreesWithTheSeriesEverywhere() {
        double worst = 0;
        for (double z = -6.5; z <= 6.5; z += 1.0 / 4096 + 1e-9) { // not on the grid points
            worst = Math.max(worst, Math.abs(Gelu.erf(z) - Gelu.erfSeries(z)));
        }
        assertTrue(worst < 4e-15, "max |erf - erfSeries| = " + worst);
        assertTrue(Double.isNaN(Gelu.erf(Double.NaN)));
    }

    @Test
    void erfIsMonotonicAndBounded() {
        // Monotonic up to the stated accuracy: the last bit may wobble where erf is within 1e-16 of +-1.
        double previous = -1;
        for (double z = -7; z <= 7; z += 1e-3) {
            double e = Gelu.erf(z);
            assertTrue(e >= previous - 1e-15 && Math.abs(e) <= 1.0, "at " + z);
            previous = e;
        }
    }

    @Test
    void rationalErfIsWithinItsStatedBoundOfTheSeries() {
        double worst = 0;
        double worstBeyond = 0;
        for (double z = -6.5; z <= 6.5; z += 1.0 / 4096 + 1e-9) {
            double d = Math.abs(Gelu.erfRational(z) - Gelu.erfSeries(z));
            if (Math.abs(z) <= Gelu.RATIONAL_CLAMP) {
                worst = Math.max(worst, d);
            } else {
                worstBeyond = Math.max(worstBeyond, d);
            }
        }
        assertTrue(worst < 1.6e-9, "max |erfRational - erfSeries| on [-4, 4] = " + worst);
        assertTrue(worstBeyond < 1.6e-8, "max |erfRational - erfSeries| beyond 4 = " + worstBeyond);
        assertEquals(0.0, Gelu.erfRational(0.0));
        assertEquals(-Gelu.erfRational(0.75), Gelu.erfRational(-0.75));
        assertTrue(Double.isNaN(Gelu.erfRational(Double.NaN)));
    }

    @Test
    void geluRoundsTheDoubleFormulaOnceToFloat() {
        // Each element: the double formula with erfRational, rounded once. Against the series: within a float ulp
        // of the exact GELU plus |x| / 2 times the rational's error (1.6e-9 up to |x| = 4 sqrt 2, 1.6e-8 beyond).
        float[] x = new float[4001];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - 2000) / 250f;
        }
        float[] y = x.clone();
        Gelu.apply(y);
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double exact = v * 0.5 * (1.0 + Gelu.erfSeries(v / Math.sqrt(2.0)));
            assertEquals(
                    (float) (v * 0.5 * (1.0 + Gelu.erfRational(v / Math.sqrt(2.0)))), y[i], Math.ulp(y[i]), "at " + v);
            assertEquals(
                    exact, y[i], Math.ulp((float) exact) + Math.abs(v) * (Math.abs(v) <= 5.6 ? 1e-9 : 1e-8), "at " + v);
        }
    }

    @Test
    void geluIsTheExactErfForm() {
        float[] x = {-3f, -1f, 0f, 0.5f, 1f, 3f};
        Gelu.apply(x);
        // x * Phi(x), with Phi the standard normal CDF (values from Python: x * 0.5 * (1 + math.erf(x / sqrt 2))).
        assertEquals(-0.0040497f, x[0], 1e-6f);
        assertEquals(-0.1586553f, x[1], 1e-6f);
        assertEquals(0f, x[2]);
        assertEquals(0.3457312f, x[3], 1e-6f);
        assertEquals(0.8413447f, x[4], 1e-6f);
        assertEquals(2.9959503f, x[5], 1e-6f);
    }
}
