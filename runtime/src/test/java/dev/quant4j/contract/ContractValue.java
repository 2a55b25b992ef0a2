package dev.quant4j.contract;

import dev.quant4j.annotations.QuantValue;

/**
 * The contract's vocabulary table, typed in again from the contract rather than read from
 * {@link QuantValue}, so that a wrong range or width in the implementation's enum shows up as a
 * difference instead of being copied into the expectation.
 */
enum ContractValue {
    Q8F(8, -128, 127, null),
    Q8S(8, -127, 127, null),
    Q4F(4, -8, 7, null),
    Q4S(4, -7, 7, null),
    Q2F(2, -2, 1, null),
    Q2S(2, -1, 1, null),
    E4M3(8, 0, 0, FloatFormat.E4M3),
    E5M2(8, 0, 0, FloatFormat.E5M2),
    E2M1(4, 0, 0, FloatFormat.E2M1);

    final int bits;
    /** Integer range [a, b] (integer values only). */
    final int a;

    final int b;
    /** The float format (float values only). */
    final FloatFormat format;

    ContractValue(int bits, int a, int b, FloatFormat format) {
        this.bits = bits;
        this.a = a;
        this.b = b;
        this.format = format;
    }

    boolean isFloat() {
        return format != null;
    }

    QuantValue quantValue() {
        return QuantValue.valueOf(name());
    }

    int mask() {
        return (1 << bits) - 1;
    }

    /** The raw scale: amax / ((b - a) / 2) or amax / fmax, one float32 division, then the underflow rule. */
    float rawScale(float amax) {
        float raw = isFloat() ? Exact.divide(amax, format.largestFinite()) : Exact.divideByRational(amax, b - a, 2);
        if (raw == 0f && Exact.magnitudeBits(amax) != 0) {
            raw = Float.intBitsToFloat(1); // 2^-149
        }
        return raw;
    }
}
