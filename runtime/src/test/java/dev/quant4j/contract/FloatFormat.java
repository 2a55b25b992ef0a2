package dev.quant4j.contract;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The small float formats, built by enumerating every code from the bit layout the contract gives
 * (sign, E exponent bits with bias, M mantissa bits, which codes are NaN/infinity), and encoding by
 * searching that list: nearest value, ties to the code with an even last bit, saturation above the
 * largest finite value, the sign kept for zero. No arithmetic rounding is involved.
 */
enum FloatFormat {
    E4M3(4, 3, 7, Specials.E4M3FN),
    E5M2(5, 2, 15, Specials.IEEE),
    E2M1(2, 1, 1, Specials.NONE);

    enum Specials {
        /** Only S.1111.111 is NaN; no infinities. */
        E4M3FN,
        /** The all-ones exponent holds infinities (mantissa 0) and NaNs. */
        IEEE,
        /** Every code is finite. */
        NONE
    }

    final int exponentBits;
    final int mantissaBits;
    final int bias;
    final int bits;
    final int signBit;
    /** Exact value of every code; NaN or infinity for the special codes. */
    private final double[] valueOfCode;
    /** Non-negative finite magnitudes in increasing order, and their codes. */
    private final BigDecimal[] magnitudes;

    private final int[] magnitudeCodes;
    /** Midpoints between neighbouring magnitudes. */
    private final BigDecimal[] midpoints;

    FloatFormat(int exponentBits, int mantissaBits, int bias, Specials specials) {
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.bits = 1 + exponentBits + mantissaBits;
        this.signBit = 1 << (bits - 1);
        this.valueOfCode = new double[1 << bits];
        int maxField = (1 << exponentBits) - 1;
        int maxMantissa = (1 << mantissaBits) - 1;
        List<Integer> finitePositive = new ArrayList<>();
        for (int code = 0; code < valueOfCode.length; code++) {
            boolean negative = (code & signBit) != 0;
            int field = (code >>> mantissaBits) & maxField;
            int mantissa = code & maxMantissa;
            double v;
            if (specials == Specials.E4M3FN && field == maxField && mantissa == maxMantissa) {
                v = Double.NaN;
            } else if (specials == Specials.IEEE && field == maxField) {
                v = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (field == 0) {
                v = mantissa * Math.pow(2, 1 - bias - mantissaBits);
            } else {
                v = ((1 << mantissaBits) + mantissa) * Math.pow(2, field - bias - mantissaBits);
            }
            valueOfCode[code] = negative ? -v : v;
            if (!negative && Double.isFinite(v)) {
                finitePositive.add(code);
            }
        }
        finitePositive.sort((x, y) -> Double.compare(valueOfCode[x], valueOfCode[y]));
        this.magnitudeCodes =
                finitePositive.stream().mapToInt(Integer::intValue).toArray();
        this.magnitudes = Arrays.stream(magnitudeCodes)
                .mapToObj(c -> new BigDecimal(valueOfCode[c]))
                .toArray(BigDecimal[]::new);
        this.midpoints = new BigDecimal[magnitudes.length - 1];
        for (int i = 0; i < midpoints.length; i++) {
            midpoints[i] = magnitudes[i].add(magnitudes[i + 1]).divide(BigDecimal.valueOf(2));
        }
    }

    /** The exact value of a code (NaN or infinity for special codes); -0.0 for the negative zero code. */
    double value(int code) {
        return valueOfCode[code];
    }

    /** Largest finite value, as a float32 (it is exact). */
    float largestFinite() {
        return (float) magnitudes[magnitudes.length - 1].doubleValue();
    }

    /** Non-negative finite magnitudes in increasing order. */
    double[] magnitudes() {
        return Arrays.stream(magnitudes).mapToDouble(BigDecimal::doubleValue).toArray();
    }

    /** Number of codes (including sign and special codes). */
    int codeCount() {
        return valueOfCode.length;
    }

    /** Smallest positive subnormal. */
    double smallestSubnormal() {
        return magnitudes[1].doubleValue();
    }

    /** Smallest positive normal value. */
    double smallestNormal() {
        return Math.pow(2, 1 - bias);
    }

    /** The code of a finite float32: nearest value, ties to an even code, saturating, sign kept. */
    int encode(float y) {
        boolean negative = Float.floatToRawIntBits(y) < 0;
        BigDecimal m = Exact.exact(y).abs();
        int last = magnitudes.length - 1;
        int code;
        if (m.compareTo(magnitudes[last]) >= 0) {
            code = magnitudeCodes[last];
        } else {
            // Largest i with magnitudes[i] <= m; then m < magnitudes[i + 1].
            int lo = 0;
            int hi = last;
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (magnitudes[mid].compareTo(m) <= 0) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            int c = m.compareTo(midpoints[lo]);
            if (c < 0) {
                code = magnitudeCodes[lo];
            } else if (c > 0) {
                code = magnitudeCodes[lo + 1];
            } else {
                code = (magnitudeCodes[lo] & 1) == 0 ? magnitudeCodes[lo] : magnitudeCodes[lo + 1];
            }
        }
        return negative ? code | signBit : code;
    }
}
