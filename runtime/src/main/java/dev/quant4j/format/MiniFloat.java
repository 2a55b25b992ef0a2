package dev.quant4j.format;

import dev.quant4j.annotations.QuantValue;

/**
 * The small float formats a value is quantized to: OCP E4M3 (E4M3FN), E5M2 and E2M1.
 *
 * <p>Encoding is round to nearest, ties to even, with subnormals kept and magnitudes above the largest
 * finite value saturated to it (the contract never produces infinities or NaN codes). The sign follows
 * IEEE: -0.0, and a negative value that rounds to zero, give the negative-zero code.
 *
 * <p>Why one routine for three formats: each is "sign, E exponent bits with bias B, M mantissa bits",
 * and rounding is done by scaling the magnitude onto an integer grid of step 2^(e - M), which a
 * power-of-two division makes exact in float32; {@link Math#rint} then rounds half to even.
 */
public enum MiniFloat {
    /** 4 exponent bits, bias 7, 3 mantissa bits; no infinities; S.1111.111 is NaN; max 448. */
    E4M3(4, 3, 7, Specials.NAN_ONLY),
    /** 5 exponent bits, bias 15, 2 mantissa bits; IEEE-like infinities and NaN; max 57344. */
    E5M2(5, 2, 15, Specials.IEEE),
    /** 2 exponent bits, bias 1, 1 mantissa bit; no infinities or NaN; max 6. */
    E2M1(2, 1, 1, Specials.NONE);

    /**
     * A format's code layout. A normal code with exponent field e and mantissa m is
     * {@code 1.m * 2^(e - bias)}; magnitudes (codes without {@code signBit}) from {@code firstNanMagnitude}
     * up are NaN and {@code infinityMagnitude} is infinity (-1 where the format has none);
     * {@code maxMagnitudeCode} is the largest finite magnitude's code (448 is 0x7E in E4M3).
     */
    public record Layout(
            int mantissaBits,
            int bias,
            int signBit,
            int maxMagnitudeCode,
            int firstNanMagnitude,
            int infinityMagnitude) {}

    /** Which codes are not finite numbers. */
    enum Specials {
        /** Every code is a finite number. */
        NONE,
        /** Only the all-ones magnitude is NaN (OCP E4M3FN). */
        NAN_ONLY,
        /** The top exponent holds infinity (mantissa 0) and NaN (any other mantissa), as in IEEE 754. */
        IEEE
    }

    private final int exponentBits;
    private final int mantissaBits;
    private final int bias;
    private final Specials specials;
    private final float largestFinite;
    private final int signBit;
    /** Smallest normal exponent, 1 - bias. */
    private final int minNormalExponent;

    private final float minNormal;
    /** Code of the largest finite magnitude (no sign). */
    private final int maxCode;
    /** Decoded value of every code, indexed by code (sign included). */
    private final float[] decodeTable;

    private final Layout layout;

    MiniFloat(int exponentBits, int mantissaBits, int bias, Specials specials) {
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.specials = specials;
        this.signBit = 1 << (exponentBits + mantissaBits);
        this.minNormalExponent = 1 - bias;
        this.minNormal = Math.scalb(1f, minNormalExponent);
        // The largest finite magnitude is the largest code that is not NaN or infinity.
        this.maxCode = switch (specials) {
            case NONE -> signBit - 1;
            case NAN_ONLY -> signBit - 2;
            case IEEE -> ((1 << exponentBits) - 1 << mantissaBits) - 1;
        };
        this.largestFinite = decodeSlow(maxCode);
        int infinity = specials == Specials.IEEE ? maxCode + 1 : -1;
        int firstNan = switch (specials) {
            case NONE -> -1;
            case NAN_ONLY -> signBit - 1;
            case IEEE -> infinity + 1;
        };
        this.layout = new Layout(mantissaBits, bias, signBit, maxCode, firstNan, infinity);
        this.decodeTable = new float[signBit << 1];
        for (int c = 0; c < decodeTable.length; c++) {
            decodeTable[c] = decodeSlow(c);
        }
    }

    /** The format of a float {@link QuantValue}. */
    public static MiniFloat of(QuantValue v) {
        return switch (v) {
            case E4M3 -> E4M3;
            case E5M2 -> E5M2;
            case E2M1 -> E2M1;
            default -> throw new IllegalArgumentException(v + " is not a float value");
        };
    }

    /** Largest finite magnitude. */
    public float largestFinite() {
        return largestFinite;
    }

    /** The code layout: what a vectorised encoder or decoder needs, derived from the format's parameters. */
    public Layout layout() {
        return layout;
    }

    /** Total bits of a code (8 or 4). */
    public int bits() {
        return Integer.numberOfTrailingZeros(signBit) + 1;
    }

    /**
     * Encodes a finite float32 to this format's code (round to nearest even, saturating, signed zero).
     * The caller has rejected NaN and infinities; an infinity would saturate like any large value.
     */
    public int encode(float x) {
        int sign = Float.floatToRawIntBits(x) < 0 ? signBit : 0;
        float a = Math.abs(x);
        if (a >= largestFinite) {
            return sign | maxCode;
        }
        return sign | encodeMagnitude(a);
    }

    private int encodeMagnitude(float a) {
        // Step of the grid a falls on: subnormal step below the smallest normal, else 2^(e - M).
        int e = a < minNormal ? minNormalExponent : Math.getExponent(a);
        int units = (int) Math.rint(Math.scalb(a, mantissaBits - e));
        if (units == 0) {
            return 0;
        }
        // units is in [0, 2^(M+1)]; 2^(M+1) means rounding carried into the next binade.
        if (a < minNormal) {
            // Subnormal grid; units == 2^M is exactly the smallest normal, whose code is the same number.
            return units;
        }
        if (units == (2 << mantissaBits)) {
            e++;
            units = 1 << mantissaBits;
        }
        return ((e + bias) << mantissaBits) | (units - (1 << mantissaBits));
    }

    /** The exact float32 value of a code (NaN/infinity codes decode to NaN/infinity). */
    public float decode(int code) {
        return decodeTable[code & (decodeTable.length - 1)];
    }

    /** All decoded values, indexed by code. A copy. */
    public float[] decodeTable() {
        return decodeTable.clone();
    }

    private float decodeSlow(int code) {
        boolean negative = (code & signBit) != 0;
        int mag = code & (signBit - 1);
        int expField = mag >>> mantissaBits;
        int mant = mag & ((1 << mantissaBits) - 1);
        int expMax = (1 << exponentBits) - 1;
        float v;
        if (specials == Specials.NAN_ONLY && mag == signBit - 1) {
            v = Float.NaN;
        } else if (specials == Specials.IEEE && expField == expMax) {
            v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else if (expField == 0) {
            v = Math.scalb((float) mant, minNormalExponent - mantissaBits);
        } else {
            v = Math.scalb((float) ((1 << mantissaBits) | mant), expField - bias - mantissaBits);
        }
        return negative ? -v : v;
    }
}
