package dev.quant4j.contract;

import java.util.SplittableRandom;

/**
 * Seeded random tensor values, biased toward the inputs where quantizers go wrong: exact zeros of
 * both signs, a block maximum present with both signs, values on a dyadic grid (which makes
 * {@code x / s} land exactly on k + 0.5 when scales are powers of two), float32 subnormals, magnitudes
 * spread over the whole float32 range (so that F16, BF16 and UE8M0 scales overflow or underflow), and
 * whole tensors of zeros.
 */
final class TensorGen {
    enum Style {
        GAUSSIAN,
        DYADIC,
        SUBNORMAL,
        WIDE,
        HUGE,
        ZEROS,
        MIXED
    }

    private TensorGen() {}

    static int elementCount(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * Per style in declaration order, the percentile below which a draw picks it: weights 25, 20, 10, 10,
     * 5, 5, 25 that keep most tensors quantizable (overflow styles are rarer).
     */
    private static final int[] STYLE_PERCENTILES = {25, 45, 55, 65, 70, 75, 100};

    /** A style drawn with the weights of {@link #STYLE_PERCENTILES}. */
    static Style drawStyle(SplittableRandom r) {
        int p = r.nextInt(100);
        int s = 0;
        while (p >= STYLE_PERCENTILES[s]) {
            s++;
        }
        return Style.values()[s];
    }

    static float[] values(SplittableRandom r, int n, Style style) {
        float[] x = new float[n];
        int dyadicExponent = r.nextInt(-6, 7);
        double gaussScale = Math.pow(10, r.nextInt(-4, 5));
        for (int i = 0; i < n; i++) {
            Style s = style == Style.MIXED ? Style.values()[r.nextInt(Style.values().length - 1)] : style;
            x[i] = switch (s) {
                case GAUSSIAN ->
                    (float)
                            (r.nextDouble() < 0.5
                                    ? r.nextGaussian() * gaussScale
                                    : (r.nextDouble() * 2 - 1) * gaussScale);
                case DYADIC -> Math.scalb((float) r.nextInt(-256, 257) / 2f, dyadicExponent);
                case SUBNORMAL -> subnormalish(r);
                case WIDE -> (r.nextBoolean() ? -1f : 1f) * (float) Math.pow(10, r.nextDouble() * 76 - 38);
                case HUGE -> (r.nextBoolean() ? -1f : 1f) * (Float.MAX_VALUE / (1 + r.nextInt(4096)));
                case ZEROS -> r.nextBoolean() ? 0f : -0f;
                case MIXED -> throw new AssertionError();
            };
            // Edge sprinkles: signed zeros, and earlier values repeated with the other sign so that
            // -amax and +amax both occur (Q8F maps them to -128 and 127).
            int p = r.nextInt(100);
            if (p < 6) {
                x[i] = r.nextBoolean() ? 0f : -0f;
            } else if (p < 12 && i > 0) {
                x[i] = -x[r.nextInt(i)];
            }
        }
        return x;
    }

    private static float subnormalish(SplittableRandom r) {
        float sign = r.nextBoolean() ? -1f : 1f;
        return switch (r.nextInt(4)) {
            case 0 -> sign * Float.intBitsToFloat(1 + r.nextInt(16)); // a few ulps above zero
            case 1 -> sign * Float.intBitsToFloat(1 + r.nextInt(0x7FFFFF)); // any subnormal
            case 2 -> sign * Float.MIN_NORMAL * (1 + r.nextInt(8));
            default -> sign * (float) (r.nextDouble() * 1e-30);
        };
    }

    /**
     * A random shape of the given rank, dimensions 1..maxDim (odd sizes are common), smaller for high
     * ranks so that every shape stays a few hundred elements.
     */
    static int[] shape(SplittableRandom r, int rank) {
        int maxDim = rank <= 1 ? 300 : rank == 2 ? 24 : rank == 3 ? 9 : 5;
        int[] s = new int[rank];
        for (int d = 0; d < rank; d++) {
            s[d] = 1 + r.nextInt(maxDim);
        }
        return s;
    }
}
