package dev.quant4j.contract;

import dev.quant4j.annotations.QuantParam;
import java.util.Arrays;

/**
 * The values a scale can take in each param type, enumerated from the type's bit layout (F16: 5
 * exponent bits, bias 15, 10 mantissa bits; BF16: 8 and 127 and 7; UE8M0: 2^(e - 127) for e in 0..254),
 * and the contract's rounding up done by search: the smallest listed value at or above the raw scale.
 */
final class ScaleGrid {
    private static final double[] F16 = ieeeLike(5, 10, 15);
    private static final double[] BF16 = ieeeLike(8, 7, 127);
    private static final double[] UE8M0 = powersOfTwo();

    private ScaleGrid() {}

    private static double[] ieeeLike(int exponentBits, int mantissaBits, int bias) {
        int fields = (1 << exponentBits) - 1; // the all-ones field is infinity/NaN
        double[] out = new double[fields << mantissaBits];
        int i = 0;
        for (int field = 0; field < fields; field++) {
            for (int m = 0; m < (1 << mantissaBits); m++) {
                out[i++] = field == 0
                        ? m * Math.pow(2, 1 - bias - mantissaBits)
                        : ((1 << mantissaBits) + m) * Math.pow(2, field - bias - mantissaBits);
            }
        }
        return out;
    }

    private static double[] powersOfTwo() {
        double[] out = new double[255];
        for (int e = 0; e < 255; e++) {
            out[e] = Math.pow(2, e - 127);
        }
        return out;
    }

    /** Every non-negative finite value of a (non-F32) param type, increasing. A copy. */
    static double[] values(QuantParam param) {
        return switch (param) {
            case F16 -> F16.clone();
            case BF16 -> BF16.clone();
            case UE8M0 -> UE8M0.clone();
            case F32 -> throw new IllegalArgumentException("F32 is every float");
        };
    }

    /** Largest finite value of a param type. */
    static double largest(QuantParam param) {
        return param == QuantParam.F32 ? Float.MAX_VALUE : grid(param)[grid(param).length - 1];
    }

    /**
     * The stored scale for a raw scale: F32 keeps it, the others take the smallest grid value
     * {@code >= raw}. Returns NaN when no such value exists (the scale overflows the type).
     */
    static double roundUp(float raw, QuantParam param) {
        if (param == QuantParam.F32) {
            return raw;
        }
        double[] g = grid(param);
        int i = Arrays.binarySearch(g, raw);
        if (i >= 0) {
            return g[i];
        }
        int insertion = -i - 1;
        return insertion == g.length ? Double.NaN : g[insertion];
    }

    private static double[] grid(QuantParam param) {
        return switch (param) {
            case F16 -> F16;
            case BF16 -> BF16;
            case UE8M0 -> UE8M0;
            case F32 -> throw new IllegalArgumentException("F32 has no grid here");
        };
    }
}
