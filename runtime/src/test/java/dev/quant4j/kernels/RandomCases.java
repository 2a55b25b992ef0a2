package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random tensors and schemes for property tests, biased toward the cases where kernels go wrong: exact
 * rounding ties, signed zeros, float32 subnormals, all-zero blocks, odd sizes, blocks cut short by the
 * tensor's edge, 2-D blocks, tensor level, and sizes just around a vector's length.
 */
final class RandomCases {
    private RandomCases() {}

    static final QuantValue[] VALUES = QuantValue.values();
    static final QuantParam[] PARAMS = QuantParam.values();

    /** A valid scheme for {@code shape} with this value: random level, block, param and store. */
    static QuantScheme scheme(SplittableRandom rnd, QuantValue value, int[] shape) {
        QuantScheme s = QuantScheme.DEFAULT.withValue(value).withParam(PARAMS[rnd.nextInt(PARAMS.length)]);
        if (value.bits() == 8 && rnd.nextBoolean()) {
            s = s.withStore(QuantStore.NATIVE);
        }
        if (shape.length == 0 || rnd.nextInt(5) == 0) {
            return s;
        }
        int k = 1 + rnd.nextInt(Math.min(shape.length, 2));
        int[] block = new int[k];
        for (int i = 0; i < k; i++) {
            block[i] = switch (rnd.nextInt(6)) {
                case 0 -> 1 + rnd.nextInt(4);
                case 1 -> 32;
                case 2 -> 16 << rnd.nextInt(3);
                case 3 -> 1 + rnd.nextInt(70);
                default -> i == k - 1 ? 32 : 1 + rnd.nextInt(3);
            };
        }
        return s.withBlockSize(block);
    }

    /** A shape of rank 0 to 3 with dimensions that are often odd, sometimes 0 or 1. */
    static int[] shape(SplittableRandom rnd, int maxElements) {
        int rank = rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(3);
        int[] shape = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            int d = switch (rnd.nextInt(8)) {
                case 0 -> rnd.nextInt(3);
                case 1 -> 32 * (1 + rnd.nextInt(4));
                case 2 -> 16 * (1 + rnd.nextInt(8)) + rnd.nextInt(3) - 1;
                default -> 1 + rnd.nextInt(i == rank - 1 ? 200 : 12);
            };
            shape[i] = Math.max(0, d);
            n *= Math.max(1, shape[i]);
        }
        while (n > maxElements && rank > 0) {
            int i = rnd.nextInt(rank);
            n = n / Math.max(1, shape[i]);
            shape[i] = Math.max(1, shape[i] / 2);
            n *= shape[i];
        }
        return shape;
    }

    /** Finite values with mixed magnitudes, ties, zeros of both signs and float32 subnormals. */
    static float[] values(SplittableRandom rnd, int n, QuantValue value) {
        float[] x = new float[n];
        int style = rnd.nextInt(8);
        double magnitude = Math.scalb(1.0, rnd.nextInt(-20, 21));
        for (int i = 0; i < n; i++) {
            x[i] = switch (style) {
                case 0 -> 0f;
                case 1 -> rnd.nextBoolean() ? -0f : 0f;
                case 2 -> tie(rnd, value);
                case 3 -> Float.intBitsToFloat(rnd.nextInt(1, 1 << 23) | (rnd.nextBoolean() ? 0x80000000 : 0));
                case 4 -> (float) (rnd.nextGaussian() * magnitude * (rnd.nextInt(4) == 0 ? 1e-6 : 1));
                case 5 ->
                    rnd.nextInt(10) == 0 ? (rnd.nextBoolean() ? -0f : 0f) : (float) (rnd.nextGaussian() * magnitude);
                default -> (float) ((rnd.nextDouble() * 2 - 1) * magnitude);
            };
        }
        if (n > 0 && rnd.nextInt(4) == 0) {
            // A block maximum that makes the raw scale a power of two, so that ties are exact.
            int i = rnd.nextInt(n);
            x[i] = tieMax(value) * (rnd.nextBoolean() ? 1 : -1);
        }
        return x;
    }

    /** A value whose quotient by a power-of-two scale is exactly halfway between two codes. */
    private static float tie(SplittableRandom rnd, QuantValue value) {
        float m = value.isFloat() ? (float) (rnd.nextInt(0, 60) + 0.5) / 8f : rnd.nextInt(-130, 130) + 0.5f;
        return rnd.nextBoolean() ? m : tieMax(value) * (rnd.nextInt(8) == 0 ? -1 : 1) * 0 + m;
    }

    /** The block maximum whose F32 raw scale is 1: (b - a) / 2 for integers, the largest finite for floats. */
    static float tieMax(QuantValue value) {
        return value.isFloat() ? value.largestFinite() : (value.maxCode() - value.minCode()) / 2f;
    }

    static String describe(long seed, int[] shape, QuantScheme scheme) {
        return "seed " + seed + ", shape " + Arrays.toString(shape) + ", scheme " + scheme;
    }
}
