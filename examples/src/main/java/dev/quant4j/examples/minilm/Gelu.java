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

    private Gelu() {}

    /**
     * Applies GELU to every element, in place: {@code x * 0.5 * (1 + erf(x / sqrt 2))} in double precision with
     * {@link #erfRational} (no table, no branch), rounded once to float. The loop is plain arithmetic on
     * primitives so that C2 vectorizes it (float to double, min/max, FMAs, one division, double to float); the
     * value of each element is the same whether it runs in vector lanes or scalar code.
     */
    static void apply(float[] x) {
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            x[i] = (float) (v * 0.5 * (1.0 + erfRational(v * INV_SQRT_2)));
        }
    }

    /** 1 / sqrt 2 (the graph divides by sqrt 2; the product differs from the quotient by at most an ulp of double). */
    private static final double INV_SQRT_2 = 1.0 / SQRT_2;
    /** erfRational clamps its argument here: 1 - erf(4) = 1.5e-8, a quarter of float's ulp below 1. */
    static final double RATIONAL_CLAMP = 4.0;
    /** Numerator of erfRational, coefficients of s^0 .. s^6 (s = z^2); fitted here (Lawson-weighted least squares). */
    private static final double P0 = 1.1283791821195965;

    private static final double P1 = 0.18471057694053927;
    private static final double P2 = 0.05433258624349921;
    private static final double P3 = 0.0038395330259915813;
    private static final double P4 = 0.0003826906573208873;
    private static final double P5 = 4.78049241069374e-06;
    private static final double P6 = -1.3666556855681834e-08;
    /** Denominator, coefficients of s^1 .. s^5 (s^0: 1). */
    private static final double Q1 = 0.49702903220846256;

    private static final double Q2 = 0.11382636682034744;
    private static final double Q3 = 0.015453518415523674;
    private static final double Q4 = 0.0013095776968954206;
    private static final double Q5 = 6.40088232125121e-05;

    /**
     * erf as one odd rational function, {@code z * P(z^2) / Q(z^2)} with P of degree 6 and Q of degree 5,
     * on z clamped to [-4, 4]: within 1.6e-9 of erf on [-4, 4] (GeluTest checks it against {@link #erfSeries})
     * and within 1.6e-8 beyond, where erf is within 1.5e-8 of +-1. Both are far below float's resolution of
     * the GELU result, which is what the model keeps. Horner with FMAs, one division; NaN stays NaN.
     */
    static double erfRational(double z) {
        double c = Math.min(RATIONAL_CLAMP, Math.max(-RATIONAL_CLAMP, z));
        double s = c * c;
        double p = Math.fma(
                Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P6, s, P5), s, P4), s, P3), s, P2), s, P1), s, P0);
        double q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Q5, s, Q4), s, Q3), s, Q2), s, Q1), s, 1.0);
        return c * p / q;
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
        double power = h; // h^(n+1) / (n+1)!
        double hermite = 1; // H_n(c)
        double previous = 0; // H_(n-1)(c)
        double sum = h; // the n = 0 term
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
