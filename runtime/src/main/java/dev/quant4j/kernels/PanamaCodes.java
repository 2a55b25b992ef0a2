package dev.quant4j.kernels;

import static dev.quant4j.kernels.PanamaSpecies.BH;
import static dev.quant4j.kernels.PanamaSpecies.BH_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BH_MASK;
import static dev.quant4j.kernels.PanamaSpecies.BL;
import static dev.quant4j.kernels.PanamaSpecies.BL_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BL_MASK;
import static dev.quant4j.kernels.PanamaSpecies.BQ;
import static dev.quant4j.kernels.PanamaSpecies.BQ_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BQ_MASK;
import static dev.quant4j.kernels.PanamaSpecies.F;
import static dev.quant4j.kernels.PanamaSpecies.I;
import static dev.quant4j.kernels.PanamaSpecies.L;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.rules.QuantRules;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * One value's rule ({@link QuantRules#encode}, {@link QuantRules#codeValue}) for L lanes at a time: the
 * codes of a float vector and the values of a code vector, shared by the SIMD quantize, dequantize and
 * product kernels. The small-float constants come from {@link MiniFloat}, never written here.
 *
 * <ul>
 *   <li>{@code rint} (half to even): for |y| &lt; 2^22, {@code y + 1.5 * 2^23} lands in [2^23, 2^24) where
 *       float32 steps are exactly 1, so the addition itself rounds half to even; the sum's bit pattern
 *       is {@code 0x4B400000 + rint(y)}. Clamping that pattern to the code range in int arithmetic is
 *       the rule's clamp, and its low bits are the two's complement code. |y| never exceeds about
 *       128.5 here because the MinMax scale is at least {@code amax / 127.5} (a searched scale has at least a
 *       quarter of its magnitude, so |y| stays below 4 * 128.5).</li>
 *   <li>Small float formats round the float32 mantissa to M bits half to even by integer arithmetic on
 *       the bit pattern (the carry moves into the exponent exactly as the rule's "next binade" case),
 *       subnormals round on their fixed grid with the same 2^23 addition, and magnitudes at or above
 *       the largest finite value saturate.</li>
 * </ul>
 */
final class PanamaCodes {
    /** Bit pattern of {@link #MAGIC}: {@code MAGIC + k} for a small integer k has bits {@code MAGIC_BITS + k}. */
    static final int MAGIC_BITS = 0x4B400000;

    static final float MAGIC = 12582912f; // 1.5 * 2^23
    private static final float TWO_23 = 8388608f;
    private static final int TWO_23_BITS = 0x4B000000;

    /** [0, 0, 1, 1, 2, 2, ...]: spreads L/2 packed bytes so that every code has its byte in its lane. */
    private static final VectorShuffle<Integer> SPREAD2 = VectorShuffle.fromOp(I, i -> i / 2);
    /** [0, 0, 0, 0, 1, 1, 1, 1, ...] for four codes per byte. */
    private static final VectorShuffle<Integer> SPREAD4 = VectorShuffle.fromOp(I, i -> i / 4);
    /** Left shifts that put code (i mod 2) of a byte in the top 4 bits of its lane. */
    private static final IntVector NIBBLE_UP = IntVector.fromArray(I, lanePattern(28, 24), 0);
    /** Right shifts that put code (i mod 2) of a byte in the low 4 bits. */
    private static final IntVector NIBBLE_DOWN = IntVector.fromArray(I, lanePattern(0, 4), 0);
    /** Right shifts that put code (i mod 4) of a byte in the low 2 bits. */
    private static final IntVector CRUMB_DOWN = IntVector.fromArray(I, lanePattern(0, 2, 4, 6), 0);
    /** Left shifts that put code (i mod 4) of a byte in the top 2 bits. */
    private static final IntVector CRUMB_UP = IntVector.fromArray(I, lanePattern(30, 28, 26, 24), 0);

    private PanamaCodes() {}

    private static int[] lanePattern(int... period) {
        int[] a = new int[L];
        for (int i = 0; i < L; i++) {
            a[i] = period[i % period.length];
        }
        return a;
    }

    // ---------------------------------------------------------------- encode

    /** The codes of L values as ints whose low bits are the code's bit pattern (higher bits are junk). */
    static IntVector codeBits(FloatVector x, float s, QuantValue value) {
        FloatVector y = x.div(s);
        if (value.isFloat()) {
            return encodeMini(y, MiniFloat.of(value));
        }
        return y.add(MAGIC)
                .reinterpretAsInts()
                .max(MAGIC_BITS + value.minCode())
                .min(MAGIC_BITS + value.maxCode());
    }

    /**
     * The affine codes of L values with a block's scale {@code d > 0} and offset {@code m}
     * ({@link QuantRules#encodeAffine}): {@code (x - m) / d} is at least 0 and below {@code 2^bits - 1/2} plus
     * rounding error, well inside the magic-number rounding's exact range; clamped to {@code [0, 2^bits - 1]}.
     */
    static IntVector affineCodeBits(FloatVector x, float d, float m, QuantValue value) {
        return x.sub(m)
                .div(d)
                .add(MAGIC)
                .reinterpretAsInts()
                .max(MAGIC_BITS)
                .min(MAGIC_BITS + QuantRules.affineMaxCode(value));
    }

    /**
     * Small-float encoding (round to nearest even, subnormals kept, saturating, IEEE sign) of finite
     * values; the same numbers as {@link MiniFloat#encode}.
     */
    private static IntVector encodeMini(FloatVector y, MiniFloat format) {
        MiniFloat.Layout codes = format.layout();
        int mant = codes.mantissaBits();
        int bias = codes.bias();
        IntVector bits = y.reinterpretAsInts();
        IntVector sign = bits.lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.LSHL, format.bits() - 1);
        IntVector a = bits.and(0x7FFFFFFF);
        // Normal range: round the 23-bit mantissa to `mant` bits, half to even, then rebias the exponent.
        int drop = 23 - mant;
        IntVector lsb = a.lanewise(VectorOperators.LSHR, drop).and(1);
        IntVector normal = a.add((1 << (drop - 1)) - 1)
                .add(lsb)
                .lanewise(VectorOperators.LSHR, drop)
                .sub((127 - bias) << mant);
        // Subnormal range: units of the smallest step 2^(1 - bias - mant); a * 2^(bias - 1 + mant) is exact.
        float up = Math.scalb(1f, bias - 1 + mant);
        IntVector sub =
                a.reinterpretAsFloats().mul(up).add(TWO_23).reinterpretAsInts().sub(TWO_23_BITS);
        int minNormalBits = Float.floatToRawIntBits(Math.scalb(1f, 1 - bias));
        IntVector mag = normal.blend(sub, a.compare(VectorOperators.LT, minNormalBits));
        mag = mag.blend(
                codes.maxMagnitudeCode(),
                a.compare(VectorOperators.GE, Float.floatToRawIntBits(format.largestFinite())));
        return mag.or(sign);
    }

    // ---------------------------------------------------------------- decode

    /** The values (before the scale) of the L 8-bit codes starting at code {@code i}. */
    static FloatVector codeValues8(byte[] codes, int i, QuantValue value) {
        ByteVector b = BL_EXACT ? ByteVector.fromArray(BL, codes, i) : PanamaSpecies.loadFirst(BL, codes, i, BL_MASK);
        if (value.isFloat()) {
            IntVector z = b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0).reinterpretAsInts();
            return decodeMini(z, MiniFloat.of(value));
        }
        return b.convertShape(VectorOperators.B2F, F, 0).reinterpretAsFloats();
    }

    /** The values of the L 4-bit codes starting at code {@code i} (even). */
    static FloatVector codeValues4(byte[] codes, int i, QuantValue value) {
        ByteVector b = BH_EXACT
                ? ByteVector.fromArray(BH, codes, i >>> 1)
                : PanamaSpecies.loadFirst(BH, codes, i >>> 1, BH_MASK);
        IntVector spread =
                b.convertShape(VectorOperators.B2I, I, 0).reinterpretAsInts().rearrange(SPREAD2);
        if (value.isFloat()) {
            return decodeMini(spread.lanewise(VectorOperators.LSHR, NIBBLE_DOWN).and(0xF), MiniFloat.of(value));
        }
        return spread.lanewise(VectorOperators.LSHL, NIBBLE_UP)
                .lanewise(VectorOperators.ASHR, 28)
                .convert(VectorOperators.I2F, 0)
                .reinterpretAsFloats();
    }

    /** The values of the L 2-bit integer codes starting at code {@code i} (a multiple of 4). */
    static FloatVector codeValues2(byte[] codes, int i) {
        ByteVector b = BQ_EXACT
                ? ByteVector.fromArray(BQ, codes, i >>> 2)
                : PanamaSpecies.loadFirst(BQ, codes, i >>> 2, BQ_MASK);
        return b.convertShape(VectorOperators.B2I, I, 0)
                .reinterpretAsInts()
                .rearrange(SPREAD4)
                .lanewise(VectorOperators.LSHL, CRUMB_UP)
                .lanewise(VectorOperators.ASHR, 30)
                .convert(VectorOperators.I2F, 0)
                .reinterpretAsFloats();
    }

    /**
     * The values {@code fma(q, d, m)} of the L unsigned (affine) codes of {@code bits} bits starting at code
     * {@code i}, aligned to a byte ({@link QuantRules#affineValue}).
     */
    static FloatVector affineValues(byte[] codes, int i, int bits, FloatVector d, FloatVector m) {
        IntVector q = switch (bits) {
            case 8 ->
                (BL_EXACT ? ByteVector.fromArray(BL, codes, i) : PanamaSpecies.loadFirst(BL, codes, i, BL_MASK))
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)
                        .reinterpretAsInts();
            case 4 ->
                (BH_EXACT
                                ? ByteVector.fromArray(BH, codes, i >>> 1)
                                : PanamaSpecies.loadFirst(BH, codes, i >>> 1, BH_MASK))
                        .convertShape(VectorOperators.B2I, I, 0)
                        .reinterpretAsInts()
                        .rearrange(SPREAD2)
                        .lanewise(VectorOperators.LSHR, NIBBLE_DOWN)
                        .and(0xF);
            default ->
                (BQ_EXACT
                                ? ByteVector.fromArray(BQ, codes, i >>> 2)
                                : PanamaSpecies.loadFirst(BQ, codes, i >>> 2, BQ_MASK))
                        .convertShape(VectorOperators.B2I, I, 0)
                        .reinterpretAsInts()
                        .rearrange(SPREAD4)
                        .lanewise(VectorOperators.LSHR, CRUMB_DOWN)
                        .and(0x3);
        };
        return ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(d, m);
    }

    /** The values of the L codes of {@code bits} bits starting at code {@code i}, aligned to a byte. */
    static FloatVector codeValues(byte[] codes, int i, QuantValue value) {
        return switch (value.bits()) {
            case 8 -> codeValues8(codes, i, value);
            case 4 -> codeValues4(codes, i, value);
            default -> codeValues2(codes, i);
        };
    }

    /**
     * Exact values of small-float codes (zero-extended in int lanes), NaN and infinity codes included.
     * Normal codes become float32 bit patterns by moving the exponent and mantissa up and rebiasing;
     * subnormal codes are {@code mantissa * 2^(1 - bias - M)} (never a float32 subnormal, which would
     * cost a microcode assist per operation on x86).
     */
    static FloatVector decodeMini(IntVector z, MiniFloat format) {
        MiniFloat.Layout codes = format.layout();
        int mant = codes.mantissaBits();
        int bias = codes.bias();
        int signBit = codes.signBit();
        IntVector mag = z.and(signBit - 1);
        IntVector sign = z.and(signBit).lanewise(VectorOperators.LSHL, 31 - Integer.numberOfTrailingZeros(signBit));
        FloatVector normal = mag.lanewise(VectorOperators.LSHL, 23 - mant)
                .add((127 - bias) << 23)
                .reinterpretAsFloats();
        FloatVector sub =
                mag.convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(Math.scalb(1f, 1 - bias - mant));
        FloatVector v =
                normal.blend(sub, mag.compare(VectorOperators.LT, 1 << mant).cast(F));
        IntVector bits = v.reinterpretAsInts();
        if (codes.firstNanMagnitude() >= 0) {
            bits = bits.blend(0x7FC00000, mag.compare(VectorOperators.GE, codes.firstNanMagnitude()));
        }
        if (codes.infinityMagnitude() >= 0) {
            bits = bits.blend(0x7F800000, mag.compare(VectorOperators.EQ, codes.infinityMagnitude()));
        }
        return bits.or(sign).reinterpretAsFloats();
    }
}
