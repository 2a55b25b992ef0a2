package dev.quant4j.contract;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Exact arithmetic for the oracle. Every float32 result the contract asks for ("one float32 division",
 * "{@code q * s} in float32") is computed here as an exact rational first and then rounded to the
 * nearest float32, ties to even, by integer arithmetic on {@link BigInteger}s. This deliberately avoids
 * the hardware float division and multiplication the implementation uses, so that the two agree only
 * if the implementation really performs the one correctly rounded operation the contract names.
 */
final class Exact {
    private static final int FLOAT_MANTISSA_BITS = 23;
    private static final int FLOAT_MIN_EXPONENT = -126;
    private static final int FLOAT_MAX_EXPONENT = 127;

    private Exact() {}

    /** A finite binary number {@code (-1)^negative * mantissa * 2^exponent}. */
    record Dyadic(boolean negative, BigInteger mantissa, int exponent) {
        boolean isZero() {
            return mantissa.signum() == 0;
        }

        BigDecimal toBigDecimal() {
            BigDecimal m = new BigDecimal(negative ? mantissa.negate() : mantissa);
            return exponent >= 0
                    ? m.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(exponent)))
                    : m.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-exponent)));
        }
    }

    /** The exact value of a finite float32, read from its bit fields. */
    static Dyadic of(float f) {
        int bits = Float.floatToRawIntBits(f);
        int field = (bits >>> 23) & 0xFF;
        if (field == 0xFF) {
            throw new IllegalArgumentException("not finite: " + f);
        }
        int fraction = bits & 0x7FFFFF;
        boolean negative = bits < 0;
        if (field == 0) {
            return new Dyadic(negative, BigInteger.valueOf(fraction), -149);
        }
        return new Dyadic(negative, BigInteger.valueOf(fraction | 0x800000), field - 150);
    }

    /** The exact value of a finite double, read from its bit fields. */
    static Dyadic of(double d) {
        long bits = Double.doubleToRawLongBits(d);
        int field = (int) ((bits >>> 52) & 0x7FF);
        if (field == 0x7FF) {
            throw new IllegalArgumentException("not finite: " + d);
        }
        long fraction = bits & 0xFFFFFFFFFFFFFL;
        boolean negative = bits < 0;
        if (field == 0) {
            return new Dyadic(negative, BigInteger.valueOf(fraction), -1074);
        }
        return new Dyadic(negative, BigInteger.valueOf(fraction | (1L << 52)), field - 1075);
    }

    /** {@code x / y} as one correctly rounded float32 operation; y must not be zero. */
    static float divide(float x, float y) {
        Dyadic a = of(x);
        Dyadic b = of(y);
        if (b.isZero()) {
            throw new ArithmeticException("division by zero");
        }
        return round(a.negative() != b.negative(), a.mantissa(), b.mantissa(), a.exponent() - b.exponent());
    }

    /** {@code x / (num / den)} for a positive rational divisor, as one correctly rounded float32 operation. */
    static float divideByRational(float x, long num, long den) {
        Dyadic a = of(x);
        return round(
                a.negative(), a.mantissa().multiply(BigInteger.valueOf(den)), BigInteger.valueOf(num), a.exponent());
    }

    /** {@code x * y} as one correctly rounded float32 operation, for exact binary operands. */
    static float multiply(Dyadic x, Dyadic y) {
        return round(
                x.negative() != y.negative(),
                x.mantissa().multiply(y.mantissa()),
                BigInteger.ONE,
                x.exponent() + y.exponent());
    }

    /**
     * Rounds {@code (-1)^negative * num / den * 2^exp2} to the nearest float32, ties to the even
     * mantissa, with gradual underflow and overflow to infinity, exactly as IEEE 754 binary32 rounding
     * to nearest does.
     */
    static float round(boolean negative, BigInteger num, BigInteger den, int exp2) {
        if (num.signum() < 0 || den.signum() <= 0) {
            throw new IllegalArgumentException("need num >= 0 and den > 0");
        }
        if (num.signum() == 0) {
            return negative ? -0f : 0f;
        }
        // e = floor(log2(num / den)).
        int e = num.bitLength() - den.bitLength();
        if (compareWithPowerOfTwo(num, den, e) < 0) {
            e--;
        }
        int valueExponent = e + exp2;
        if (valueExponent > FLOAT_MAX_EXPONENT) {
            return negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        // The binade whose ulp applies: below the smallest normal, the subnormal ulp 2^-149.
        int binade = Math.max(valueExponent, FLOAT_MIN_EXPONENT);
        int shift = FLOAT_MANTISSA_BITS - binade + exp2;
        BigInteger n = shift >= 0 ? num.shiftLeft(shift) : num;
        BigInteger d = shift >= 0 ? den : den.shiftLeft(-shift);
        BigInteger[] qr = n.divideAndRemainder(d);
        long units = qr[0].longValueExact();
        int half = qr[1].shiftLeft(1).compareTo(d);
        if (half > 0 || (half == 0 && (units & 1) == 1)) {
            units++;
        }
        if (units == (1L << (FLOAT_MANTISSA_BITS + 1))) {
            units >>= 1;
            binade++;
        }
        if (binade > FLOAT_MAX_EXPONENT) {
            return negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        int bits;
        if (units < (1L << FLOAT_MANTISSA_BITS)) {
            bits = (int) units; // subnormal (or zero), biased exponent field 0
        } else {
            bits = ((binade + 127) << FLOAT_MANTISSA_BITS) | (int) (units - (1L << FLOAT_MANTISSA_BITS));
        }
        return Float.intBitsToFloat(negative ? bits | 0x80000000 : bits);
    }

    /** Sign of {@code num / den - 2^e}. */
    private static int compareWithPowerOfTwo(BigInteger num, BigInteger den, int e) {
        return e >= 0 ? num.compareTo(den.shiftLeft(e)) : num.shiftLeft(-e).compareTo(den);
    }

    /** Round half to even of a finite float, exactly (an integer-valued double; it is exact). */
    static double roundHalfEven(float y) {
        return new BigDecimal(y).setScale(0, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** {@code |x|} compared by magnitude bits, exact for finite values (no float arithmetic). */
    static int magnitudeBits(float x) {
        return Float.floatToRawIntBits(x) & 0x7FFFFFFF;
    }

    /** The exact value of a finite float as a decimal, for messages and exact comparisons. */
    static BigDecimal exact(float x) {
        return new BigDecimal(x);
    }
}
