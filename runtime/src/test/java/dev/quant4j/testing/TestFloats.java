package dev.quant4j.testing;

import java.util.function.DoubleSupplier;

/** Test data: float32 arrays drawn from a generator, the one loop the tests' random-value helpers share. */
public final class TestFloats {
    private TestFloats() {}

    /** {@code n} values, {@code (float) next.getAsDouble()} each, in index order. */
    public static float[] of(int n, DoubleSupplier next) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) next.getAsDouble();
        }
        return x;
    }
}
