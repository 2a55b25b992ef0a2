package dev.quant4j.examples.minilm;

/**
 * GELU in its exact form, {@code x * 0.5 * (1 + erf(x / sqrt 2))}, as the ONNX graph computes it (Div,
 * Erf, Add, Mul, Mul), not the tanh approximation.
 */
final class Gelu {

    private static final double SQRT_2 = Math.sqrt(2.0);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    /** Beyond this |z|, erf(z) is +-1 in double precision (erfc(6) is about 2e-17). */
    private static final double SATURATION = 6.0;
    /** erf is expanded around the nearest multiple of STEP, so the offset h is at most STEP / 2 = 1/32. */
    private static final double STEP = 1.0 / 16;
    private static final int GRID = (int) (SATURATION / STEP) + 1;
    /**
     * Taylor terms. With |h| <= 1/32 and exact grid values, 8 terms already keep the error at 2e-16 on
     * [0, 6] and 9 at one ulp (checked against a libm erf); 10 leaves a margin.
     */
    private static final int TERMS = 10;

    /** erf(c) and erf'(c) = 2/sqrt(pi) exp(-c^2) at the grid points c = k * STEP. */
    private static final double[] ERF_AT = new double[GRID];
    private static final double[] SLOPE_AT = new double[GRID];
    /** 1 / (n + 1), to build h^(n+1) / (n+1)! by multiplication. */
    private static final double[] INVERSE = new double[TERMS + 1];

    static {
        for (int k = 0; k < GRID; k++) {
            double c = k * STEP;
            ERF_AT[k] = erfSeries(c);
            SLOPE_AT[k] = TWO_OVER_SQRT_PI * Math.exp(-c * c);
        }
        for (int n = 0; n <= TERMS; n++) {
            INVERSE[n] = 1.0 / (n + 1);
        }
    }

    private Gelu() {
    }

    /** Applies GELU to every element, in place. */
    static void apply(float[] x) {
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            x[i] = (float) (v * 0.5 * (1.0 + erf(v / SQRT_2)));
        }
    }

    /**
     * The error function, to about 1e-15 absolute (float resolution is 6e-8). The JDK has none.
     *
     * <p>Taylor expansion around the nearest grid point c, using that the derivatives of erf are
     * Hermite polynomials times the Gaussian:
     * {@code erf(c + h) = erf(c) + erf'(c) * sum_{n>=0} (-1)^n H_n(c) h^(n+1) / (n+1)!}, with
     * {@code H_0 = 1, H_1 = 2c, H_(n+1) = 2c H_n - 2n H_(n-1)}. The grid values come from
     * {@link #erfSeries} once, at class initialisation; a call is then a dozen multiply-adds, no exp.
     */
    static double erf(double z) {
        double a = Math.abs(z);
        if (!(a < SATURATION)) {
            return Double.isNaN(z) ? z : Math.copySign(1.0, z);
        }
        int k = (int) (a / STEP + 0.5);
        double c = k * STEP;
        double h = a - c;
        double power = h;    // h^(n+1) / (n+1)!
        double hermite = 1;  // H_n(c)
        double previous = 0; // H_(n-1)(c)
        double sum = h;      // the n = 0 term
        for (int n = 1; n < TERMS; n++) {
            double next = 2 * c * hermite - 2 * (n - 1) * previous;
            previous = hermite;
            hermite = next;
            power *= h * INVERSE[n];
            sum += (n % 2 == 0 ? hermite : -hermite) * power;
        }
        double e = Math.min(1.0, ERF_AT[k] + SLOPE_AT[k] * sum);
        return Math.copySign(e, z);
    }

    /**
     * erf from its series {@code erf(z) = 2/sqrt(pi) exp(-z^2) sum_{k>=0} (2 z^2)^k z / (1 * 3 * ... * (2k+1))},
     * whose terms are all positive (no cancellation); it converges for every z, in at most ~100 terms
     * below |z| = 6, with rounding errors of about 1e-15 near |z| = 5. Slow, so only used to fill the
     * grid, and by the tests as the reference.
     */
    static double erfSeries(double z) {
        double a = Math.abs(z);
        if (!(a < SATURATION)) {
            return Double.isNaN(z) ? z : Math.copySign(1.0, z);
        }
        double twoA2 = 2.0 * a * a;
        double term = a;
        double sum = a;
        for (int k = 1; term > 1e-17 * sum; k++) {
            term *= twoA2 / (2 * k + 1);
            sum += term;
        }
        // Rounding can push the product a hair above 1 near |z| = 6.
        return Math.copySign(Math.min(1.0, TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum), z);
    }
}
