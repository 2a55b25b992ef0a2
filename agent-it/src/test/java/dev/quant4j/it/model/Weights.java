package dev.quant4j.it.model;

import java.util.SplittableRandom;

/** Deterministic test weights. */
public final class Weights {
    private Weights() {}

    public static float[] flat(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        return a;
    }

    public static float[][] rows(int rows, int cols, long seed) {
        float[][] m = new float[rows][];
        for (int i = 0; i < rows; i++) {
            m[i] = flat(cols, seed * 31 + i);
        }
        return m;
    }
}
