package dev.quant4j.testing;

/** Float arrays as their raw bit patterns, for bit-for-bit comparisons that tell -0.0 from +0.0. */
public final class FloatBits {
    private FloatBits() {}

    /** {@code Float.floatToRawIntBits} of every element. */
    public static int[] of(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }
}
