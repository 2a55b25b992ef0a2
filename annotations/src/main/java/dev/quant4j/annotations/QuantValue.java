package dev.quant4j.annotations;

/**
 * The type a weight is quantized to (Burn's {@code QuantValue}).
 *
 * <p>Integer values are symmetric around zero: the "F" (full range) variants use every two's
 * complement code, {@code [-2^(n-1), 2^(n-1) - 1]}; the "S" (symmetric) variants drop the most
 * negative code so that the range is {@code [-(2^(n-1) - 1), 2^(n-1) - 1]}. Float values are the
 * OCP 8-bit and 4-bit floating point formats.
 */
public enum QuantValue {
    /** 8-bit integer, full range [-128, 127]. */
    Q8F(8, false, -128, 127, 0f),
    /** 8-bit integer, symmetric range [-127, 127]. */
    Q8S(8, false, -127, 127, 0f),
    /** 4-bit integer, full range [-8, 7]. */
    Q4F(4, false, -8, 7, 0f),
    /** 4-bit integer, symmetric range [-7, 7]. */
    Q4S(4, false, -7, 7, 0f),
    /** 2-bit integer, full range [-2, 1]. */
    Q2F(2, false, -2, 1, 0f),
    /** 2-bit integer, symmetric range [-1, 1]. */
    Q2S(2, false, -1, 1, 0f),
    /** 8-bit float E4M3 (OCP E4M3FN: no infinities, largest finite 448). */
    E4M3(8, true, 0, 0, 448f),
    /** 8-bit float E5M2 (IEEE-like, largest finite 57344). */
    E5M2(8, true, 0, 0, 57344f),
    /** 4-bit float E2M1 (magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6). */
    E2M1(4, true, 0, 0, 6f);

    private final int bits;
    private final boolean floatingPoint;
    private final int min;
    private final int max;
    private final float largestFinite;

    QuantValue(int bits, boolean floatingPoint, int min, int max, float largestFinite) {
        this.bits = bits;
        this.floatingPoint = floatingPoint;
        this.min = min;
        this.max = max;
        this.largestFinite = largestFinite;
    }

    /** Bits per code: 8, 4 or 2. */
    public int bits() {
        return bits;
    }

    /** True for E4M3, E5M2 and E2M1. */
    public boolean isFloat() {
        return floatingPoint;
    }

    /** True when a code takes less than a byte, so the value cannot use {@link QuantStore#NATIVE}. */
    public boolean isSubByte() {
        return bits < 8;
    }

    /** Smallest integer code (integer values only). */
    public int minCode() {
        requireInteger();
        return min;
    }

    /** Largest integer code (integer values only). */
    public int maxCode() {
        requireInteger();
        return max;
    }

    /** Largest finite magnitude of a float value (float values only). */
    public float largestFinite() {
        if (!floatingPoint) {
            throw new IllegalStateException(this + " is an integer value; use minCode()/maxCode()");
        }
        return largestFinite;
    }

    /** Lower-case name used in the text form of a scheme, e.g. {@code q4f}. */
    public String token() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    private void requireInteger() {
        if (floatingPoint) {
            throw new IllegalStateException(this + " is a float value; use largestFinite()");
        }
    }
}
