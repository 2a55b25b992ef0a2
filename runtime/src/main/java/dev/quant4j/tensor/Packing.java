package dev.quant4j.tensor;

import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;

/**
 * How codes sit in memory. Codes are in the tensor's flattened row-major order. With {@code U32} store,
 * code k of a 32-bit word occupies bits [k*bits, (k+1)*bits), element 0 in the least significant bits,
 * and words are kept as little-endian bytes; the last word is zero-padded. So code i of the tensor is at
 * bit {@code i * bits} of a little-endian bit stream, for both stores ({@code NATIVE} is the same with
 * one byte per code and no word padding). A 8-, 4- or 2-bit code never straddles a byte.
 */
public final class Packing {
    private Packing() {}

    /** Bytes that {@code count} codes of this value take in this store. */
    public static long packedBytes(long count, QuantValue value, QuantStore store) {
        if (store == QuantStore.NATIVE) {
            return count;
        }
        long bits = count * value.bits();
        return ((bits + 31) / 32) * 4;
    }

    /** Number of 32-bit words for {@code count} codes in U32 store. */
    public static long words(long count, QuantValue value) {
        return (count * value.bits() + 31) / 32;
    }

    /** Stores the low {@code bits} of {@code code} as code number {@code index}; the slot must be zero. */
    public static void put(byte[] packed, int index, int bits, int code) {
        long bit = (long) index * bits;
        int b = (int) (bit >>> 3);
        packed[b] = (byte) (packed[b] | ((code & ((1 << bits) - 1)) << (bit & 7)));
    }

    /** The raw (unsigned) bits of code number {@code index}. */
    public static int getRaw(byte[] packed, int index, int bits) {
        long bit = (long) index * bits;
        return (packed[(int) (bit >>> 3)] >>> (bit & 7)) & ((1 << bits) - 1);
    }

    /** The code number {@code index} read as a two's complement integer of {@code bits} bits. */
    public static int getSigned(byte[] packed, int index, int bits) {
        int raw = getRaw(packed, index, bits);
        return (raw << (32 - bits)) >> (32 - bits);
    }

    /** The 32-bit word number {@code w} of a U32 store (little-endian bytes). */
    public static int word(byte[] packed, int w) {
        int o = w * 4;
        return (packed[o] & 0xFF)
                | (packed[o + 1] & 0xFF) << 8
                | (packed[o + 2] & 0xFF) << 16
                | (packed[o + 3] & 0xFF) << 24;
    }
}
