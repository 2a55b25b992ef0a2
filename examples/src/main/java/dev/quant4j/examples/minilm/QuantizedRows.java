package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * Dequantizes single rows (runs along the last dimension) of a quantized tensor, so a lookup or a
 * matrix-vector product touches only the rows it needs instead of a float32 copy of the whole tensor.
 *
 * <p>Gives exactly the values the runtime's {@code dequantize} gives ({@code q * s} in float32, with
 * {@code q} the signed integer or the minifloat's decoded value), only faster: each code is looked up
 * in a table of its 2^bits decoded values instead of being sign-extended or decoded one by one. A test
 * holds it to bit equality with {@link QuantizedTensor#dequantize()} for every value type and level.
 */
final class QuantizedRows {

    private final byte[] codes;
    private final float[] scales;
    private final BlockLayout layout;
    private final int bits;
    private final int rowLength;
    private final int rows;
    private final int blockExtent;
    /** Decoded value of every raw code. */
    private final float[] decoded;
    /** For 4-bit codes: the decoded values of a byte's low and high code, per byte value. */
    private final float[] lowOfByte;
    private final float[] highOfByte;
    private final boolean integer8;

    QuantizedRows(QuantizedTensor q) {
        this.codes = q.codes();
        this.scales = q.scales();
        this.layout = q.layout();
        QuantValue value = q.scheme().value();
        this.bits = value.bits();
        this.rowLength = layout.rowLength();
        this.rows = layout.rows();
        this.blockExtent = layout.lastBlockExtent();
        this.decoded = decodeTable(value);
        this.integer8 = bits == 8 && !value.isFloat();
        if (bits == 4) {
            lowOfByte = new float[256];
            highOfByte = new float[256];
            for (int b = 0; b < 256; b++) {
                lowOfByte[b] = decoded[b & 0xF];
                highOfByte[b] = decoded[b >>> 4];
            }
        } else {
            lowOfByte = null;
            highOfByte = null;
        }
    }

    /** Decoded values of raw codes; {@code (float) q} for integers, where q is the code sign-extended. */
    static float[] decodeTable(QuantValue value) {
        int bits = value.bits();
        float[] table = new float[1 << bits];
        MiniFloat format = value.isFloat() ? MiniFloat.of(value) : null;
        for (int raw = 0; raw < table.length; raw++) {
            table[raw] = format != null ? format.decode(raw) : (float) ((raw << (32 - bits)) >> (32 - bits));
        }
        return table;
    }

    int rowLength() {
        return rowLength;
    }

    int rows() {
        return rows;
    }

    /** Writes row {@code r} into {@code out[offset .. offset + rowLength)}. */
    void row(int r, float[] out, int offset) {
        if (r < 0 || r >= rows) {
            throw new IndexOutOfBoundsException("row " + r + " of a tensor with " + rows + " rows");
        }
        int base = layout.rowBlockBase(r);
        long first = (long) r * rowLength;
        switch (bits) {
            case 8 -> row8((int) first, base, out, offset);
            case 4 -> row4(first, base, out, offset);
            default -> rowAnyBits(first, base, out, offset);
        }
    }

    private void row8(int first, int base, float[] out, int offset) {
        for (int c0 = 0, b = base; c0 < rowLength; c0 += blockExtent, b++) {
            int end = Math.min(c0 + blockExtent, rowLength);
            float s = scales[b];
            if (integer8) {
                // A signed byte converts to exactly the float the table holds; this form vectorises.
                for (int c = c0; c < end; c++) {
                    out[offset + c] = codes[first + c] * s;
                }
            } else {
                for (int c = c0; c < end; c++) {
                    out[offset + c] = decoded[codes[first + c] & 0xFF] * s;
                }
            }
        }
    }

    private void row4(long first, int base, float[] out, int offset) {
        if ((first & 1) == 0 && (blockExtent & 1) == 0 && (rowLength & 1) == 0) {
            row4Pairs((int) (first >>> 1), base, out, offset);
            return;
        }
        for (int c0 = 0, b = base; c0 < rowLength; c0 += blockExtent, b++) {
            int end = Math.min(c0 + blockExtent, rowLength);
            float s = scales[b];
            for (int c = c0; c < end; c++) {
                long i = first + c;
                int raw = (codes[(int) (i >>> 1)] >>> ((int) (i & 1) << 2)) & 0xF;
                out[offset + c] = decoded[raw] * s;
            }
        }
    }

    /** Rows that start on a byte, blocks of even length: one table lookup per byte, two codes at a time. */
    private void row4Pairs(int firstByte, int base, float[] out, int offset) {
        for (int c0 = 0, b = base; c0 < rowLength; c0 += blockExtent, b++) {
            int end = Math.min(c0 + blockExtent, rowLength);
            float s = scales[b];
            for (int c = c0; c < end; c += 2) {
                int code = codes[firstByte + (c >>> 1)] & 0xFF;
                out[offset + c] = lowOfByte[code] * s;
                out[offset + c + 1] = highOfByte[code] * s;
            }
        }
    }

    private void rowAnyBits(long first, int base, float[] out, int offset) {
        int mask = (1 << bits) - 1;
        for (int c0 = 0, b = base; c0 < rowLength; c0 += blockExtent, b++) {
            int end = Math.min(c0 + blockExtent, rowLength);
            float s = scales[b];
            for (int c = c0; c < end; c++) {
                long bit = (first + c) * bits;
                int raw = (codes[(int) (bit >>> 3)] >>> (bit & 7)) & mask;
                out[offset + c] = decoded[raw] * s;
            }
        }
    }
}
