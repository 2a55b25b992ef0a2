package dev.quant4j.cli;

/**
 * Error of a tensor against its original: counts, signal and noise energy (in double, so that sums over
 * billions of weights stay accurate), largest absolute error. Totals add the parts.
 */
final class ErrorStats {
    long count;
    double signal;
    double noise;
    double maxAbs;

    static ErrorStats of(float[] original, float[] actual) {
        ErrorStats s = new ErrorStats();
        for (int i = 0; i < original.length; i++) {
            double x = original[i];
            double d = (double) actual[i] - x;
            s.signal += x * x;
            s.noise += d * d;
            // NaN must show, not vanish in Math.max's ordering.
            double a = Math.abs(d);
            if (a > s.maxAbs || Double.isNaN(a)) {
                s.maxAbs = a;
            }
        }
        s.count = original.length;
        return s;
    }

    void add(ErrorStats o) {
        count += o.count;
        signal += o.signal;
        noise += o.noise;
        if (o.maxAbs > maxAbs || Double.isNaN(o.maxAbs)) {
            maxAbs = o.maxAbs;
        }
    }

    /** Root mean square error (0 for no elements). */
    double rmse() {
        return count == 0 ? 0 : Math.sqrt(noise / count);
    }

    /** Signal-to-noise ratio in dB: 10 log10(sum x^2 / sum (x' - x)^2); +infinity when exact. */
    double snrDb() {
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }
}
