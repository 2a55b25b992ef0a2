package dev.quant4j.format;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;

/**
 * The types a scale is stored in, and the one rounding the contract allows for them: up, to the
 * smallest representable value at or above the raw scale, so that {@code |x / s|} never leaves the
 * value range because of the scale's own rounding.
 */
public final class ScaleFormat {
    /** Largest finite F16. */
    public static final float F16_MAX = 65504f;
    /** Largest finite BF16 (0x7F7F). */
    public static final float BF16_MAX = Float.intBitsToFloat(0x7F7F0000);
    /** UE8M0 covers 2^-127 .. 2^127. */
    public static final float UE8M0_MIN = Math.scalb(1f, -127);

    public static final float UE8M0_MAX = Math.scalb(1f, 127);

    private ScaleFormat() {}

    /**
     * Rounds a raw scale (finite, >= 0) up onto the param's grid. Returns {@code Float.POSITIVE_INFINITY}
     * when the result does not fit the param type (the caller names the tensor and block in the error).
     * Zero stays zero except for UE8M0, which has no zero and gives its smallest value 2^-127.
     */
    public static float roundUp(float raw, QuantParam param) {
        return switch (param) {
            case F32 -> raw;
            case F16 -> roundUpF16(raw);
            case BF16 -> roundUpBf16(raw);
            case UE8M0 -> roundUpUe8m0(raw);
        };
    }

    private static float roundUpF16(float raw) {
        if (raw > F16_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        short h = Float.floatToFloat16(raw);
        float back = Float.float16ToFloat(h);
        if (back < raw) {
            // Positive halves are ordered like their bit patterns; the next one up is h + 1.
            back = Float.float16ToFloat((short) (h + 1));
        }
        return back;
    }

    private static float roundUpBf16(float raw) {
        int bits = Float.floatToRawIntBits(raw);
        if ((bits & 0xFFFF) != 0) {
            bits = (bits & 0xFFFF0000) + 0x10000;
        }
        float out = Float.intBitsToFloat(bits);
        return out > BF16_MAX ? Float.POSITIVE_INFINITY : out;
    }

    private static float roundUpUe8m0(float raw) {
        if (raw <= UE8M0_MIN) {
            return UE8M0_MIN;
        }
        if (raw > UE8M0_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        int e = Math.getExponent(raw);
        float p = Math.scalb(1f, e);
        return p == raw ? raw : Math.scalb(1f, e + 1);
    }

    /**
     * Rounds a finite value down onto the param's grid (F32, F16, BF16): the largest value of the type at or
     * below {@code raw}, the offset rule of the affine mode. Returns {@code Float.NEGATIVE_INFINITY} when
     * that is below the type's most negative finite value; a positive value above the largest finite one
     * gives the largest; zero (either sign) gives +0.0.
     *
     * @throws IllegalArgumentException for UE8M0, which has no sign
     */
    public static float roundDown(float raw, QuantParam param) {
        if (param == QuantParam.UE8M0) {
            throw new IllegalArgumentException("UE8M0 holds no offsets: it has no sign and no zero");
        }
        if (raw == 0f) {
            return 0f;
        }
        if (raw < 0f) {
            return -roundUp(-raw, param);
        }
        return switch (param) {
            case F32 -> raw;
            case F16 -> {
                if (raw >= F16_MAX) {
                    yield F16_MAX;
                }
                short h = Float.floatToFloat16(raw);
                float back = Float.float16ToFloat(h);
                yield back > raw ? Float.float16ToFloat((short) (h - 1)) : back;
            }
            case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(raw) & 0xFFFF0000);
            case UE8M0 -> throw new AssertionError();
        };
    }

    /**
     * True when {@code m} may be a stored offset of an affine tensor: finite and on the param's grid, of
     * either sign (-0.0 included: it dequantizes exactly as +0.0, and ggml's Q4_1 files may hold it).
     */
    public static boolean isValidOffset(float m, QuantParam param) {
        return param != QuantParam.UE8M0 && isOnGrid(Math.abs(m), param);
    }

    /** True when {@code d} may be a stored scale of an affine tensor: finite, non-negative, on the grid, not -0.0. */
    public static boolean isValidAffineScale(float d, QuantParam param) {
        return Float.floatToRawIntBits(d) != 0x80000000 && param != QuantParam.UE8M0 && isOnGrid(d, param);
    }

    /** Largest finite scale of a param type. */
    public static float max(QuantParam param) {
        return switch (param) {
            case F32 -> Float.MAX_VALUE;
            case F16 -> F16_MAX;
            case BF16 -> BF16_MAX;
            case UE8M0 -> UE8M0_MAX;
        };
    }

    /** True when {@code s} is exactly representable in the param type (and allowed as a scale). */
    public static boolean isOnGrid(float s, QuantParam param) {
        if (!(s >= 0) || Float.isInfinite(s)) {
            return false;
        }
        return switch (param) {
            case F32 -> true;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(s)) == s;
            case BF16 -> (Float.floatToRawIntBits(s) & 0xFFFF) == 0;
            case UE8M0 -> s >= UE8M0_MIN && s <= UE8M0_MAX && Math.scalb(1f, Math.getExponent(s)) == s;
        };
    }

    /**
     * True when a stored scale of this value and param may be negative: the full-range integer values
     * (Q8F, Q4F, Q2F, whose code range [a, b] has a = -b - 1, so the scale's sign chooses which end of the
     * range a block's extreme lands on) with a param that has a sign bit (F32, F16, BF16). MinMax never
     * produces a negative scale; the searches may (docs/NUMERICS.md, "Choosing the scale").
     */
    public static boolean allowsNegative(QuantValue value, QuantParam param) {
        return !value.isFloat() && value.minCode() == -value.maxCode() - 1 && param != QuantParam.UE8M0;
    }

    /**
     * True when {@code s} may be a stored scale of a tensor of this value and param: finite, on the
     * param's grid, never -0.0 (code 0 of an all-zero block must dequantize to +0.0), and negative only
     * where {@link #allowsNegative} says so. The one check every reader and constructor applies.
     */
    public static boolean isValidScale(float s, QuantValue value, QuantParam param) {
        if (Float.floatToRawIntBits(s) == 0x80000000) {
            return false;
        }
        if (s < 0) {
            return allowsNegative(value, param) && isOnGrid(-s, param);
        }
        return isOnGrid(s, param);
    }

    /**
     * The largest value of the param type below a positive value {@code s} that is on its grid, or 0
     * when there is none (s is the type's smallest positive value).
     */
    public static float nextBelow(float s, QuantParam param) {
        float below = switch (param) {
            case F32 -> Math.nextDown(s);
            case F16 -> Float.float16ToFloat((short) (Float.floatToFloat16(s) - 1));
            case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(s) - 0x10000);
            case UE8M0 -> s / 2f;
        };
        return param == QuantParam.UE8M0 && below < UE8M0_MIN ? 0f : below;
    }

    /** Writes a scale (on the grid) as the param type's bits: 4, 2, 2 or 1 little-endian bytes. */
    public static int encode(float s, QuantParam param) {
        return switch (param) {
            case F32 -> Float.floatToRawIntBits(s);
            case F16 -> Float.floatToFloat16(s) & 0xFFFF;
            case BF16 -> Float.floatToRawIntBits(s) >>> 16;
            case UE8M0 -> Math.getExponent(s) + 127;
        };
    }

    /** Reads a scale from the param type's bits. UE8M0 255 (its NaN) decodes to NaN. */
    public static float decode(int bits, QuantParam param) {
        return switch (param) {
            case F32 -> Float.intBitsToFloat(bits);
            case F16 -> Float.float16ToFloat((short) bits);
            case BF16 -> Float.intBitsToFloat((bits & 0xFFFF) << 16);
            case UE8M0 -> (bits & 0xFF) == 0xFF ? Float.NaN : Math.scalb(1f, (bits & 0xFF) - 127);
        };
    }
}
