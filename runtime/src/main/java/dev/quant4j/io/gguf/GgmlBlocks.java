package dev.quant4j.io.gguf;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * ggml's block layouts ({@code ggml-common.h}) and their meaning ({@code dequantize_row_*} of
 * {@code ggml-quants.c}), and the three of our schemes that are exactly ggml types:
 * <ul>
 * <li>{@code q8s:block32:f16} is Q8_0: one f16 scale, then 32 int8 codes;</li>
 * <li>{@code q4f:block32:f16} is Q4_0: one f16 scale, then 16 bytes whose low nibble holds element j
 *     and high nibble element j + 16, each as code + 8;</li>
 * <li>{@code q4f:block32:f16:affine} is Q4_1: f16 d, f16 m, then 16 bytes of unsigned codes in the same
 *     j / j + 16 nibble order; ggml's {@code q * d + m} equals our {@code fma(q, d, m)} because {@code q * d}
 *     is exact for an f16 d;</li>
 * <li>{@code e2m1:block32:ue8m0} is MXFP4: the scale's biased exponent byte, then 16 bytes of E2M1 codes
 *     in the same j / j + 16 order. ggml's table holds twice the E2M1 values and its scale is
 *     2^(e - 128) where ours is 2^(e - 127), so the same bytes give the same products.</li>
 * </ul>
 * Blocks run along a row (our last dimension, ggml's {@code ne[0]}), so the row length must be a
 * multiple of 32. Dequantizing one of these twins here gives the same floats, bit for bit, as our
 * kernels give for the quantized tensor (q * s in float32), except for the sign of some zeros: ggml reads
 * MXFP4's negative-zero code as +0.0 where ours gives -0.0, and a ggml block with a negative scale (which
 * we read as |d| with negated codes) gives -0.0 for its zero codes where ours gives +0.0.
 */
public final class GgmlBlocks {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's {@code kvalues_mxfp4}: E2M1 values times two, indexed by the 4-bit code. */
    private static final int[] KVALUES_MXFP4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private static final int QK = 32;

    /** The schemes that map onto a ggml type, for messages. */
    public static final String TWINS = "q8s:block32:f16 (Q8_0), q4f:block32:f16 (Q4_0), q4f:block32:f16:affine"
            + " (Q4_1), e2m1:block32:ue8m0 (MXFP4)";

    private GgmlBlocks() {}

    /**
     * The ggml type that is exactly this scheme for a tensor of this shape, or null when there is none.
     * The store (u32 or native) does not matter: it only packs the same codes differently.
     */
    public static GgmlType twin(QuantScheme scheme, int[] shape) {
        return whyNoTwin(scheme, shape) == null ? twinType(scheme) : null;
    }

    /** Why a tensor of this scheme and shape has no ggml twin, or null when it has one. */
    public static String whyNoTwin(QuantScheme scheme, int[] shape) {
        GgmlType t = twinType(scheme);
        if (t == null) {
            return "scheme " + scheme + " has no ggml twin; the schemes that map are " + TWINS;
        }
        if (scheme.activations() != ActivationMode.NONE) {
            return "scheme " + scheme + " quantizes activations, which GGUF cannot record; drop its activation part";
        }
        if (shape.length == 0 || shape[shape.length - 1] % QK != 0) {
            return "ggml blocks run along rows of a multiple of 32 elements, and the shape is "
                    + Arrays.toString(shape);
        }
        return null;
    }

    private static GgmlType twinType(QuantScheme s) {
        if (s.level() != QuantLevel.BLOCK || s.blockRank() != 1 || s.blockExtent(0) != QK) {
            return null;
        }
        if (s.value() == QuantValue.Q8S && s.param() == QuantParam.F16) {
            return GgmlType.Q8_0;
        }
        if (s.value() == QuantValue.Q4F && s.param() == QuantParam.F16) {
            return s.mode() == QuantMode.AFFINE ? GgmlType.Q4_1 : GgmlType.Q4_0;
        }
        if (s.mode() == QuantMode.AFFINE) {
            return null;
        }
        if (s.value() == QuantValue.E2M1 && s.param() == QuantParam.UE8M0) {
            return GgmlType.MXFP4;
        }
        return null;
    }

    /** The canonical scheme of a twin type (u32 store, as the CLI and the annotations default to). */
    public static QuantScheme schemeOf(GgmlType type) {
        return switch (type) {
            case Q8_0 -> QuantScheme.parse("q8s:block32:f16");
            case Q4_0 -> QuantScheme.parse("q4f:block32:f16");
            case Q4_1 -> QuantScheme.parse("q4f:block32:f16:affine");
            case MXFP4 -> QuantScheme.parse("e2m1:block32:ue8m0");
            default -> null;
        };
    }

    /**
     * The ggml blocks of a tensor whose scheme has a twin.
     *
     * @throws IllegalArgumentException when it has none (the message says which schemes map)
     */
    public static byte[] encode(QuantizedTensor t) {
        String why = whyNoTwin(t.scheme(), t.shape());
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        GgmlType type = twinType(t.scheme());
        int blocks = t.size() / QK;
        byte[] out = new byte[Math.multiplyExact(blocks, type.typeSize())];
        float[] scales = t.scales();
        for (int b = 0; b < blocks; b++) {
            int o = b * type.typeSize();
            int first = b * QK;
            switch (type) {
                case Q8_0 -> {
                    putShort(out, o, Float.floatToFloat16(scales[b]));
                    for (int j = 0; j < QK; j++) {
                        out[o + 2 + j] = (byte) t.code(first + j);
                    }
                }
                case Q4_0 -> {
                    putShort(out, o, Float.floatToFloat16(scales[b]));
                    for (int j = 0; j < QK / 2; j++) {
                        out[o + 2 + j] = (byte) ((t.code(first + j) + 8) | (t.code(first + j + 16) + 8) << 4);
                    }
                }
                case Q4_1 -> {
                    putShort(out, o, Float.floatToFloat16(scales[b]));
                    putShort(out, o + 2, Float.floatToFloat16(t.offsets()[b]));
                    for (int j = 0; j < QK / 2; j++) {
                        out[o + 4 + j] = (byte) (t.code(first + j) | t.code(first + j + 16) << 4);
                    }
                }
                default -> { // MXFP4
                    out[o] = (byte) (Math.getExponent(scales[b]) + 127);
                    for (int j = 0; j < QK / 2; j++) {
                        out[o + 1 + j] = (byte) (t.code(first + j) | t.code(first + j + 16) << 4);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Our quantized tensor for ggml blocks of a twin type, or null when some block has no exact
     * equivalent in our contract: a negative, infinite or NaN scale (for Q4_1 also a -0.0 scale or a NaN or
     * infinite offset) (ggml's quantizers write d = max / -8
     * for Q4_0, so negative scales are common there), a Q8_0 code of -128, an MXFP4 exponent of 255.
     * A null answer means: read the tensor as floats ({@link #dequantize}).
     */
    public static QuantizedTensor decodeExact(MemorySegment data, GgmlType type, int[] shape) {
        QuantScheme scheme = schemeOf(type);
        if (scheme == null || shape.length == 0 || shape[shape.length - 1] % QK != 0) {
            return null;
        }
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        int blocks = (int) (n / QK);
        if (!hasExactTwin(data, type, blocks)) {
            return null;
        }
        byte[] codes = new byte[(int) Packing.packedBytes(n, scheme.value(), scheme.store())];
        float[] scales = new float[blocks];
        int bits = scheme.value().bits();
        if (type == GgmlType.Q4_1) {
            float[] offsets = new float[blocks];
            for (int b = 0; b < blocks; b++) {
                long o = (long) b * type.typeSize();
                scales[b] = f16(data, o);
                offsets[b] = f16(data, o + 2);
                for (int j = 0; j < QK / 2; j++) {
                    int v = u8(data, o + 4 + j);
                    Packing.put(codes, b * QK + j, bits, v & 0xF);
                    Packing.put(codes, b * QK + j + 16, bits, v >>> 4);
                }
            }
            return new QuantizedTensor(shape, scheme, codes, scales, offsets);
        }
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * type.typeSize();
            int first = b * QK;
            if (type == GgmlType.MXFP4) {
                scales[b] = Math.scalb(1f, u8(data, o) - 127);
                for (int j = 0; j < QK / 2; j++) {
                    int v = u8(data, o + 1 + j);
                    Packing.put(codes, first + j, bits, v & 0xF);
                    Packing.put(codes, first + j + 16, bits, v >>> 4);
                }
                continue;
            }
            float d = f16(data, o);
            // A negative scale: q * d = (-q) * |d|, so the codes are negated (hasExactTwin checked they can be).
            int sign = Float.floatToRawIntBits(d) < 0 ? -1 : 1;
            scales[b] = Math.abs(d);
            if (type == GgmlType.Q8_0) {
                for (int j = 0; j < QK; j++) {
                    Packing.put(codes, first + j, bits, sign * i8(data, o + 2 + j));
                }
            } else {
                for (int j = 0; j < QK / 2; j++) {
                    int v = u8(data, o + 2 + j);
                    Packing.put(codes, first + j, bits, sign * ((v & 0xF) - 8));
                    Packing.put(codes, first + j + 16, bits, sign * ((v >>> 4) - 8));
                }
            }
        }
        return new QuantizedTensor(shape, scheme, codes, scales);
    }

    /**
     * True when {@code blocks} blocks of a twin type all have an exact equivalent in our contract (see
     * {@link #decodeExact}); a scan of the bytes that allocates nothing, so a reader can decide how to
     * plan a tensor before reading it.
     */
    public static boolean hasExactTwin(MemorySegment data, GgmlType type, long blocks) {
        if (schemeOf(type) == null) {
            return false;
        }
        for (long b = 0; b < blocks; b++) {
            long o = b * type.typeSize();
            if (type == GgmlType.MXFP4) {
                if (u8(data, o) == 0xFF) {
                    return false;
                }
                continue;
            }
            float d = f16(data, o);
            if (Float.isNaN(d) || Float.isInfinite(d)) {
                return false;
            }
            if (type == GgmlType.Q4_1) {
                // Our affine scales are non-negative (and not -0.0); ggml's (max - min) / 15 always is.
                float m = f16(data, o + 2);
                if (Float.floatToRawIntBits(d) < 0 || !Float.isFinite(m)) {
                    return false;
                }
                continue;
            }
            boolean negative = Float.floatToRawIntBits(d) < 0;
            if (type == GgmlType.Q8_0) {
                for (int j = 0; j < QK; j++) {
                    if (i8(data, o + 2 + j) == -128) {
                        return false;
                    }
                }
            } else if (negative) {
                // (q - 8) * d with q = 0 is +8 * |d|, which Q4F's codes [-8, 7] cannot hold.
                for (int j = 0; j < QK / 2; j++) {
                    int v = u8(data, o + 2 + j);
                    if ((v & 0xF) == 0 || (v >>> 4) == 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * Dequantizes {@code out.length} elements of a readable type as ggml's {@code dequantize_row_*} does.
     * The data must hold them (the reader checked the size).
     */
    public static void dequantize(MemorySegment data, GgmlType type, float[] out) {
        int n = out.length;
        switch (type) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(data.get(I16, 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((data.get(I16, 2L * i) & 0xFFFF) << 16);
                }
            }
            case Q8_0 ->
                forBlocks(n, type, (b, o) -> {
                    float d = f16(data, o);
                    for (int j = 0; j < QK; j++) {
                        out[b + j] = data.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d;
                    }
                });
            case Q4_0 ->
                forBlocks(n, type, (b, o) -> {
                    float d = f16(data, o);
                    for (int j = 0; j < QK / 2; j++) {
                        int v = u8(data, o + 2 + j);
                        out[b + j] = ((v & 0xF) - 8) * d;
                        out[b + j + 16] = ((v >>> 4) - 8) * d;
                    }
                });
            case Q4_1 ->
                forBlocks(n, type, (b, o) -> {
                    float d = f16(data, o);
                    float m = f16(data, o + 2);
                    for (int j = 0; j < QK / 2; j++) {
                        int v = u8(data, o + 4 + j);
                        out[b + j] = (v & 0xF) * d + m;
                        out[b + j + 16] = (v >>> 4) * d + m;
                    }
                });
            case Q5_0 ->
                forBlocks(n, type, (b, o) -> {
                    float d = f16(data, o);
                    int qh = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), o + 2);
                    for (int j = 0; j < QK / 2; j++) {
                        int v = u8(data, o + 6 + j);
                        out[b + j] = (((v & 0xF) | (qh >>> j << 4 & 0x10)) - 16) * d;
                        out[b + j + 16] = (((v >>> 4) | (qh >>> (j + 12) & 0x10)) - 16) * d;
                    }
                });
            case MXFP4 ->
                forBlocks(n, type, (b, o) -> {
                    // ggml's GGML_E8M0_TO_FP32_HALF: 2^(e - 128), subnormal for e < 2.
                    float d = Math.scalb(1f, u8(data, o) - 128);
                    for (int j = 0; j < QK / 2; j++) {
                        int v = u8(data, o + 1 + j);
                        out[b + j] = KVALUES_MXFP4[v & 0xF] * d;
                        out[b + j + 16] = KVALUES_MXFP4[v >>> 4] * d;
                    }
                });
            case Q4_K ->
                forBlocks(n, type, (b, o) -> {
                    long q = o + 16;
                    int y = b;
                    for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
                        float d1 = subScaleK4(data, o, is);
                        float m1 = subMinK4(data, o, is);
                        float d2 = subScaleK4(data, o, is + 1);
                        float m2 = subMinK4(data, o, is + 1);
                        for (int l = 0; l < 32; l++) {
                            out[y + l] = d1 * (u8(data, q + l) & 0xF) - m1;
                        }
                        for (int l = 0; l < 32; l++) {
                            out[y + 32 + l] = d2 * (u8(data, q + l) >>> 4) - m2;
                        }
                        y += 64;
                    }
                });
            case Q5_K ->
                forBlocks(n, type, (b, o) -> {
                    long qh = o + 16;
                    long ql = o + 48;
                    int y = b;
                    int u1 = 1;
                    int u2 = 2;
                    for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
                        float d1 = subScaleK4(data, o, is);
                        float m1 = subMinK4(data, o, is);
                        float d2 = subScaleK4(data, o, is + 1);
                        float m2 = subMinK4(data, o, is + 1);
                        for (int l = 0; l < 32; l++) {
                            int h = (u8(data, qh + l) & u1) != 0 ? 16 : 0;
                            out[y + l] = d1 * ((u8(data, ql + l) & 0xF) + h) - m1;
                        }
                        for (int l = 0; l < 32; l++) {
                            int h = (u8(data, qh + l) & u2) != 0 ? 16 : 0;
                            out[y + 32 + l] = d2 * ((u8(data, ql + l) >>> 4) + h) - m2;
                        }
                        y += 64;
                    }
                });
            case Q6_K ->
                forBlocks(n, type, (b, o) -> {
                    float d = f16(data, o + 208);
                    long ql = o;
                    long qh = o + 128;
                    long sc = o + 192;
                    int y = b;
                    for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, y += 128) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int h = u8(data, qh + l);
                            int q1 = ((u8(data, ql + l) & 0xF) | (h & 3) << 4) - 32;
                            int q2 = ((u8(data, ql + l + 32) & 0xF) | (h >>> 2 & 3) << 4) - 32;
                            int q3 = ((u8(data, ql + l) >>> 4) | (h >>> 4 & 3) << 4) - 32;
                            int q4 = ((u8(data, ql + l + 32) >>> 4) | (h >>> 6 & 3) << 4) - 32;
                            out[y + l] = d * i8(data, sc + is) * q1;
                            out[y + l + 32] = d * i8(data, sc + is + 2) * q2;
                            out[y + l + 64] = d * i8(data, sc + is + 4) * q3;
                            out[y + l + 96] = d * i8(data, sc + is + 6) * q4;
                        }
                    }
                });
            case Q8_K ->
                forBlocks(n, type, (b, o) -> {
                    float d = data.get(F32, o);
                    for (int j = 0; j < 256; j++) {
                        out[b + j] = d * data.get(ValueLayout.JAVA_BYTE, o + 4 + j);
                    }
                });
            default ->
                throw new IllegalArgumentException(
                        "quant4j cannot dequantize ggml type " + type.ggmlName() + "; it reads " + readableNames());
        }
    }

    /** The names of the types {@link #dequantize} reads, for messages. */
    public static String readableNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : GgmlType.values()) {
            if (t.readable()) {
                sb.append(sb.isEmpty() ? "" : ", ").append(t.ggmlName());
            }
        }
        return sb.toString();
    }

    @FunctionalInterface
    private interface Block {
        void at(int firstElement, long byteOffset);
    }

    /** Each block of {@code n} elements of {@code type}, with the geometry {@link GgmlType} states. */
    private static void forBlocks(int n, GgmlType type, Block block) {
        int blockSize = type.blockSize();
        int typeSize = type.typeSize();
        for (int b = 0, i = 0; i < n; b++, i += blockSize) {
            block.at(i, (long) b * typeSize);
        }
    }

    /**
     * The scale of sub-block {@code j} of the Q4_K / Q5_K block at {@code o}: the block's f16 {@code d}
     * times its 6-bit scale {@link #scaleK4}.
     */
    private static float subScaleK4(MemorySegment data, long o, int j) {
        return f16(data, o) * scaleK4(data, o + 4, j);
    }

    /** The min of sub-block {@code j}: the block's f16 {@code dmin} times its 6-bit min {@link #minK4}. */
    private static float subMinK4(MemorySegment data, long o, int j) {
        return f16(data, o + 2) * minK4(data, o + 4, j);
    }

    /** ggml's {@code get_scale_min_k4}: the 6-bit scale of sub-block j of a Q4_K / Q5_K block. */
    private static int scaleK4(MemorySegment data, long scales, int j) {
        return j < 4
                ? u8(data, scales + j) & 63
                : (u8(data, scales + j + 4) & 0xF) | (u8(data, scales + j - 4) >>> 6) << 4;
    }

    /** The 6-bit min of sub-block j. */
    private static int minK4(MemorySegment data, long scales, int j) {
        return j < 4
                ? u8(data, scales + j + 4) & 63
                : (u8(data, scales + j + 4) >>> 4) | (u8(data, scales + j) >>> 6) << 4;
    }

    private static float f16(MemorySegment data, long o) {
        return Float.float16ToFloat(data.get(I16, o));
    }

    private static int u8(MemorySegment data, long o) {
        return data.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    private static int i8(MemorySegment data, long o) {
        return data.get(ValueLayout.JAVA_BYTE, o);
    }

    private static void putShort(byte[] out, int o, short v) {
        out[o] = (byte) v;
        out[o + 1] = (byte) (v >>> 8);
    }
}
