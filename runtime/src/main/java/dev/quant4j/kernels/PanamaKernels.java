package dev.quant4j.kernels;

import static dev.quant4j.kernels.PanamaSpecies.BH;
import static dev.quant4j.kernels.PanamaSpecies.BH_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BITS;
import static dev.quant4j.kernels.PanamaSpecies.BL;
import static dev.quant4j.kernels.PanamaSpecies.BL_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.F;
import static dev.quant4j.kernels.PanamaSpecies.I;
import static dev.quant4j.kernels.PanamaSpecies.L;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import java.lang.System.Logger.Level;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector API (Panama) kernels: the numeric contract of {@link ScalarKernels}, bit for bit, L lanes at a
 * time. Only {@link Kernels} loads this class, by name, once it knows {@code jdk.incubator.vector} is
 * readable. The rules themselves (scales, one value's code, checks and their errors) are
 * {@link QuantRules}, called here wherever one block or one value is handled; the vector form of a
 * value's code is {@link PanamaCodes}.
 *
 * <p>How the results stay identical to the reference:
 * <ul>
 *   <li>Block maxima are maxima of {@code |x|}; for non-negative floats the order of their bit patterns
 *       is the order of their values, so an integer max over {@code bits & 0x7FFFFFFF} is exact (and a
 *       result at or above {@code 0x7F800000} means the block holds NaN or an infinity).</li>
 *   <li>Scales are {@link QuantRules#storedScale}, one per block.</li>
 *   <li>{@code x / s} is one vector division by the stored scale, as in the rule; the rounding and
 *       clamping are {@link PanamaCodes#codeBits}.</li>
 * </ul>
 * Anything the rules reject (a non-finite value, a scale too large for its param type, codes too large
 * for one array) sends the tensor down the general path, which reports it through the rules in the
 * reference's order, so the error is the reference's own.
 */
final class PanamaKernels extends BlockKernels {
    static final PanamaKernels INSTANCE = new PanamaKernels();

    private PanamaKernels() {
        super(PanamaProducts.INSTANCE);
    }

    /**
     * The SIMD kernels, or null (after one WARNING line) when this JVM cannot run them well.
     * Called reflectively by {@link Kernels}.
     */
    static PanamaKernels create() {
        System.Logger log = System.getLogger("dev.quant4j.kernels");
        if (PanamaSpecies.maxBits() < 128) {
            log.log(
                    Level.WARNING,
                    "quant4j kernels: SIMD is off, the scalar kernels run: this CPU offers no"
                            + " vectors of 128 bits or more to the Vector API");
            return null;
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            log.log(
                    Level.WARNING,
                    "quant4j kernels: SIMD is off, the scalar kernels run: the SIMD code packing"
                            + " assumes a little-endian CPU");
            return null;
        }
        log.log(Level.DEBUG, "quant4j kernels: " + INSTANCE.name());
        return INSTANCE;
    }

    /** The vector width of this JVM's SIMD kernels in bits. */
    static int vectorBits() {
        return BITS;
    }

    @Override
    public String name() {
        return "panama-" + BITS;
    }

    // ---------------------------------------------------------------- quantize

    @Override
    QuantizedTensor quantizeSymmetric(String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme) {
        long bytes = QuantRules.packedBytes(x.length, scheme);
        if (bytes <= Shapes.MAX_ARRAY_LENGTH && rowBlocked(layout, scheme, shape)) {
            byte[] codes = new byte[(int) bytes];
            float[] scales = new float[layout.blockCount()];
            if (quantizeRowBlocks(x, layout, scheme, codes, scales)) {
                return QuantizedTensor.fromKernel(shape, scheme, codes, scales);
            }
            // A non-finite value or a scale its param type cannot hold: the general path reports it.
        }
        float[] amax = finiteBlockAbsMax(name, x, layout);
        return encoded(name, shape, x, layout, scheme, amax, QuantRules.storedScales(name, amax, scheme, layout));
    }

    /**
     * MinMax affine quantization, the reference's steps: the finite check, per block its min and max (vector
     * min and max; the order of +0.0 and -0.0 does not matter, as {@link QuantRules#affineOffset} gives +0.0
     * for either and {@link QuantRules#affineScale} compares them), the rules' offsets and scales, the codes.
     */
    @Override
    QuantizedTensor quantizeAffine(String name, int[] shape, float[] x, BlockLayout layout, QuantScheme scheme) {
        return minMaxAffine(
                name, shape, x, layout, scheme, PanamaKernels::minMax, (v, from, to, d, m, value, codes) -> {
                    if (d != 0f) {
                        encodeSegment(v, from, to - from, d, m, true, value, codes);
                    }
                });
    }

    /** Folds {@code x[from .. to)} into {@code min[b]} and {@code max[b]}. */
    private static void minMax(float[] x, int from, int to, float[] min, float[] max, int b) {
        float lo = min[b];
        float hi = max[b];
        int i = from;
        if (to - from >= L) {
            FloatVector vlo = FloatVector.broadcast(F, lo);
            FloatVector vhi = FloatVector.broadcast(F, hi);
            for (; i + L <= to; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                vlo = vlo.min(v);
                vhi = vhi.max(v);
            }
            lo = vlo.reduceLanes(VectorOperators.MIN);
            hi = vhi.reduceLanes(VectorOperators.MAX);
        }
        for (; i < to; i++) {
            lo = Math.min(lo, x[i]);
            hi = Math.max(hi, x[i]);
        }
        min[b] = lo;
        max[b] = hi;
    }

    /** True when every block lies within one row, so each block can be measured and encoded in one go. */
    private static boolean rowBlocked(BlockLayout layout, QuantScheme scheme, int[] shape) {
        if (layout.rows() <= 1) {
            return true;
        }
        if (scheme.level() == QuantLevel.TENSOR) {
            return false;
        }
        int[] b = layout.blockShape();
        for (int i = 0; i < b.length - 1; i++) {
            if (b[i] != 1) {
                return false;
            }
        }
        return shape.length > 0;
    }

    /** One pass: per block, max |x|, the stored scale, then the codes. False on anything the reference rejects. */
    private static boolean quantizeRowBlocks(
            float[] x, BlockLayout layout, QuantScheme scheme, byte[] codes, float[] scales) {
        QuantValue value = scheme.value();
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        int rows = layout.rows();
        if (rows == 0 || len == 0) {
            // No elements: every block (the tensor level has one) gets the scale of an all-zero block.
            for (int b = 0; b < scales.length; b++) {
                scales[b] = QuantRules.storedScale(0f, value, scheme.param());
            }
            return true;
        }
        if (be == 32 && len % 32 == 0 && !value.isFloat() && value.bits() >= 4) {
            return quantizeRows32(x, layout, value, scheme.param(), codes, scales);
        }
        // Per row, three tight loops over its blocks (maxima, scales, codes) rather than one loop doing
        // all three per block: each loop's iterations are independent, so the CPU overlaps the long
        // latency chains (lane reduction, scale rounding, division) of neighbouring blocks.
        int perRow = (len + be - 1) / be;
        int[] amaxBits = new int[perRow];
        for (int r = 0; r < rows; r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            int worst = 0;
            for (int k = 0, c0 = 0; k < perRow; k++, c0 += be) {
                int m = absMaxBits(x, row + c0, Math.min(be, len - c0));
                amaxBits[k] = m;
                worst = Math.max(worst, m);
            }
            if (worst >= 0x7F800000) {
                return false;
            }
            for (int k = 0; k < perRow; k++) {
                float s = QuantRules.storedScale(Float.intBitsToFloat(amaxBits[k]), value, scheme.param());
                if (s == Float.POSITIVE_INFINITY) {
                    return false;
                }
                scales[base + k] = s;
            }
            for (int k = 0, c0 = 0; k < perRow; k++, c0 += be) {
                if (amaxBits[k] != 0) {
                    encodeSegment(x, row + c0, Math.min(be, len - c0), scales[base + k], 0f, false, value, codes);
                }
            }
        }
        return true;
    }

    /**
     * The common case, 8- or 4-bit integers in blocks of 32 along rows that hold whole blocks, without
     * the general path's per-block dispatch and edge handling: one pass, each block measured, scaled and
     * encoded while it is in L1 (the loads of the next blocks overlap with this block's division).
     */
    private static boolean quantizeRows32(
            float[] x, BlockLayout layout, QuantValue value, QuantParam param, byte[] codes, float[] scales) {
        int len = layout.rowLength();
        int blocks = len / 32;
        int lo = PanamaCodes.MAGIC_BITS + value.minCode();
        int hi = PanamaCodes.MAGIC_BITS + value.maxCode();
        boolean eight = value.bits() == 8;
        for (int r = 0; r < layout.rows(); r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            for (int k = 0; k < blocks; k++) {
                int i = row + 32 * k;
                IntVector m = FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF);
                for (int j = L; j < 32; j += L) {
                    m = m.max(FloatVector.fromArray(F, x, i + j)
                            .reinterpretAsInts()
                            .and(0x7FFFFFFF));
                }
                int v = m.reduceLanes(VectorOperators.MAX);
                if (v >= 0x7F800000) {
                    return false;
                }
                float s = QuantRules.storedScale(Float.intBitsToFloat(v), value, param);
                if (s == Float.POSITIVE_INFINITY) {
                    return false;
                }
                scales[base + k] = s;
                if (v != 0) {
                    if (eight) {
                        encodeBlock32Bytes(x, i, s, lo, hi, codes);
                    } else {
                        encodeBlock32Nibbles(x, i, s, lo, hi, codes);
                    }
                }
            }
        }
        return true;
    }

    /** The low byte of each int lane (one vector of codes) stored at {@code codes[at ..]}. */
    private static void storeBytes(IntVector v, byte[] codes, int at) {
        ByteVector b = v.convertShape(VectorOperators.I2B, BL, 0).reinterpretAsBytes();
        if (BL_EXACT) {
            b.intoArray(codes, at);
        } else {
            PanamaSpecies.storeFirst(b, L, codes, at);
        }
    }

    /** The bits of {@code MAGIC + x / s} for one vector (codes biased by MAGIC_BITS), clamped to [lo, hi]. */
    private static IntVector clampedCodes(float[] x, int at, FloatVector s, int lo, int hi) {
        return FloatVector.fromArray(F, x, at)
                .div(s)
                .add(PanamaCodes.MAGIC)
                .reinterpretAsInts()
                .max(lo)
                .min(hi);
    }

    private static void encodeBlock32Bytes(float[] x, int i, float scale, int lo, int hi, byte[] codes) {
        FloatVector s = FloatVector.broadcast(F, scale);
        for (int j = 0; j < 32; j += L) {
            storeBytes(clampedCodes(x, i + j, s, lo, hi), codes, i + j);
        }
    }

    private static void encodeBlock32Nibbles(float[] x, int i, float scale, int lo, int hi, byte[] codes) {
        FloatVector s = FloatVector.broadcast(F, scale);
        for (int j = 0; j < 32; j += L) {
            LongVector pair = clampedCodes(x, i + j, s, lo, hi).and(0xF).reinterpretAsLongs();
            storeNibblePairs(pair.or(pair.lanewise(VectorOperators.LSHR, 28)), codes, (i + j) >>> 1);
        }
    }

    /** Stores the low byte of each long lane of {@code folded} (two nibbles each) at {@code codes[at ..]}. */
    private static void storeNibblePairs(LongVector folded, byte[] codes, int at) {
        if (L == 4) {
            // A two-lane long-to-byte cast is not intrinsified (C2 -XX:+PrintIntrinsics: "not supported:
            // op=cast ... vlen1=2 etype2=byte"), so 128 bits ran the Java fallback: two lane reads instead.
            codes[at] = (byte) folded.lane(0);
            codes[at + 1] = (byte) folded.lane(1);
            return;
        }
        ByteVector b = folded.convertShape(VectorOperators.L2B, BH, 0).reinterpretAsBytes();
        if (BH_EXACT) {
            b.intoArray(codes, at);
        } else {
            PanamaSpecies.storeFirst(b, L / 2, codes, at);
        }
    }

    /** Per-block max |x| for any layout; a non-finite value is reported by the rule's check. */
    @Override
    float[] finiteBlockAbsMax(String name, float[] x, BlockLayout layout) {
        float[] amax = new float[layout.blockCount()];
        int[] worst = {0};
        layout.forEachRun((b, from, to) -> {
            int m = absMaxBits(x, from, to - from);
            worst[0] = Math.max(worst[0], m);
            amax[b] = Float.intBitsToFloat(Math.max(Float.floatToRawIntBits(amax[b]), m));
        });
        if (worst[0] >= 0x7F800000) {
            QuantRules.checkFinite(name, x);
        }
        return amax;
    }

    /** Blocks whose max |x| is 0 stay code 0. */
    @Override
    void encodeAll(float[] x, BlockLayout layout, QuantValue value, float[] amax, float[] scales, byte[] codes) {
        layout.forEachRun((b, from, to) -> {
            if (amax[b] != 0f) {
                encodeSegment(x, from, to - from, scales[b], 0f, false, value, codes);
            }
        });
    }

    /** The largest {@code bits(|x[i]|)} over {@code [from, from + n)}, as an int (0 when n is 0). */
    static int absMaxBits(float[] x, int from, int n) {
        int i = from;
        int end = from + n;
        int m = 0;
        if (n >= 2 * L) {
            IntVector acc0 = IntVector.zero(I);
            IntVector acc1 = IntVector.zero(I);
            for (; i + 2 * L <= end; i += 2 * L) {
                acc0 = acc0.max(
                        FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF));
                acc1 = acc1.max(
                        FloatVector.fromArray(F, x, i + L).reinterpretAsInts().and(0x7FFFFFFF));
            }
            m = acc0.max(acc1).reduceLanes(VectorOperators.MAX);
        }
        if (i + L <= end) {
            m = Math.max(
                    m,
                    FloatVector.fromArray(F, x, i)
                            .reinterpretAsInts()
                            .and(0x7FFFFFFF)
                            .reduceLanes(VectorOperators.MAX));
            i += L;
        }
        for (; i < end; i++) {
            m = Math.max(m, Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF);
        }
        return m;
    }

    /**
     * Codes of {@code x[i0 .. i0 + n)} with one stored scale {@code s != 0} (negative only where the contract
     * allows it), or when {@code affine} with scale {@code s > 0} and offset {@code m}, written into {@code codes}.
     */
    private static void encodeSegment(
            float[] x, int i0, int n, float s, float m, boolean affine, QuantValue value, byte[] codes) {
        switch (value.bits()) {
            case 8 -> encode8(x, i0, n, s, m, affine, value, codes);
            case 4 -> encode4(x, i0, n, s, m, affine, value, codes);
            default -> encode2(x, i0, n, s, m, affine, value, codes);
        }
    }

    /** One value's code: the rule's {@link QuantRules#encode}, or {@link QuantRules#encodeAffine}. */
    private static int code(float x, float s, float m, boolean affine, QuantValue value) {
        return affine ? QuantRules.encodeAffine(x, s, m, value) : QuantRules.encode(x, s, value);
    }

    /** The vector form of {@link #code}. */
    private static IntVector codeBits(FloatVector x, float s, float m, boolean affine, QuantValue value) {
        return affine ? PanamaCodes.affineCodeBits(x, s, m, value) : PanamaCodes.codeBits(x, s, value);
    }

    /**
     * Q8S codes of all of {@code x} with one given scale {@code s > 0} (static activations), equal to
     * {@link dev.quant4j.rules.QuantRules#encode}: unlike a block's own scale, a frozen scale can leave {@code |x / s|} far
     * above 127 (even infinite), beyond the magic-number rounding's exact range (below 2^22), so the quotient
     * is clamped to [-127, 127] first; {@code clamp(rint(y)) = rint(clamp(y))} because the bounds are integers.
     */
    static void encodeClampedQ8(float[] x, float s, byte[] codes) {
        int i = 0;
        for (; i + L <= x.length; i += L) {
            storeBytes(
                    FloatVector.fromArray(F, x, i)
                            .div(s)
                            .max(-127f)
                            .min(127f)
                            .add(PanamaCodes.MAGIC)
                            .reinterpretAsInts(),
                    codes,
                    i);
        }
        for (; i < x.length; i++) {
            codes[i] = (byte) dev.quant4j.rules.QuantRules.encode(x[i], s, QuantValue.Q8S);
        }
    }

    private static void encode8(
            float[] x, int i0, int n, float s, float m, boolean affine, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        for (; i + L <= end; i += L) {
            storeBytes(codeBits(FloatVector.fromArray(F, x, i), s, m, affine, value), codes, i);
        }
        for (; i < end; i++) {
            codes[i] = (byte) code(x[i], s, m, affine, value);
        }
    }

    private static void encode4(
            float[] x, int i0, int n, float s, float m, boolean affine, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        if ((i & 1) != 0 && i < end) {
            Packing.put(codes, i, 4, code(x[i], s, m, affine, value));
            i++;
        }
        for (; i + L <= end; i += L) {
            // Adjacent int lanes as one long: code 2k in the low half, 2k+1 in the high half; fold the
            // high nibble down next to the low one and keep the low byte.
            LongVector pair = codeBits(FloatVector.fromArray(F, x, i), s, m, affine, value)
                    .and(0xF)
                    .reinterpretAsLongs();
            storeNibblePairs(pair.or(pair.lanewise(VectorOperators.LSHR, 28)), codes, i >>> 1);
        }
        for (; i < end; i++) {
            Packing.put(codes, i, 4, code(x[i], s, m, affine, value));
        }
    }

    private static void encode2(
            float[] x, int i0, int n, float s, float m, boolean affine, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        for (; (i & 3) != 0 && i < end; i++) {
            Packing.put(codes, i, 2, code(x[i], s, m, affine, value));
        }
        for (; i + L <= end; i += L) {
            // Two folds: int pairs to 4-bit groups in longs, then (after narrowing) long pairs to bytes.
            LongVector pair = codeBits(FloatVector.fromArray(F, x, i), s, m, affine, value)
                    .and(0x3)
                    .reinterpretAsLongs();
            LongVector nib = pair.or(pair.lanewise(VectorOperators.LSHR, 30)).and(0xF);
            // nib lane k holds codes 2k, 2k+1 as 4 bits; pack pairs of lanes into bytes.
            for (int k = 0; k < L / 4; k++) {
                long lo = nib.lane(2 * k);
                long hi = nib.lane(2 * k + 1);
                codes[(i >>> 2) + k] = (byte) (lo | (hi << 4));
            }
        }
        for (; i < end; i++) {
            Packing.put(codes, i, 2, code(x[i], s, m, affine, value));
        }
    }

    // ---------------------------------------------------------------- dequantize

    @Override
    void decodeRows(QuantizedTensor q, BlockLayout layout, int fromRow, int toRow, float[] out, int shift) {
        QuantValue value = q.scheme().value();
        byte[] codes = q.codes();
        float[] scales = q.scales();
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        if (q.isAffine()) {
            float[] offsets = q.offsets();
            layout.forEachRun(
                    fromRow,
                    toRow,
                    (b, from, to) -> decodeAffineRun(codes, from, to, scales[b], offsets[b], value, out, shift));
            return;
        }
        if (!value.isFloat() && value.bits() >= 4 && be % (2 * L) == 0 && len % be == 0) {
            // Whole blocks of whole vectors, every row starting on a byte: no edges to handle.
            for (int r = fromRow; r < toRow; r++) {
                dequantizeRow(codes, r * len, len, be, scales, layout.rowBlockBase(r), value, out, shift);
            }
            return;
        }
        layout.forEachRun(fromRow, toRow, (b, from, to) -> decodeRun(codes, from, to, scales[b], value, out, shift));
    }

    /** One row of whole blocks of whole vectors of 8- or 4-bit integer codes (the common layouts). */
    private static void dequantizeRow(
            byte[] codes,
            int row,
            int len,
            int be,
            float[] scales,
            int base,
            QuantValue value,
            float[] out,
            int shift) {
        boolean eight = value.bits() == 8;
        for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
            FloatVector s = FloatVector.broadcast(F, scales[b]);
            for (int i = row + c0, end = row + c0 + be; i < end; i += L) {
                FloatVector v =
                        eight ? PanamaCodes.codeValues8(codes, i, value) : PanamaCodes.codeValues4(codes, i, value);
                v.mul(s).intoArray(out, i - shift);
            }
        }
    }

    /** {@code out[i - shift] = fma(code i, d, m)} over one affine block's run; the rule's at the edges. */
    private static void decodeAffineRun(
            byte[] codes, int from, int to, float d, float m, QuantValue value, float[] out, int shift) {
        int bits = value.bits();
        int perByte = 8 / bits;
        int i = from;
        for (; i < to && i % perByte != 0; i++) {
            out[i - shift] = QuantRules.affineValue(QuantRules.affineCode(codes, i, value), d, m);
        }
        FloatVector vd = FloatVector.broadcast(F, d);
        FloatVector vm = FloatVector.broadcast(F, m);
        for (; i + L <= to; i += L) {
            PanamaCodes.affineValues(codes, i, bits, vd, vm).intoArray(out, i - shift);
        }
        for (; i < to; i++) {
            out[i - shift] = QuantRules.affineValue(QuantRules.affineCode(codes, i, value), d, m);
        }
    }

    /**
     * {@code out[i - shift] = value(code i) * s} over one block's run; whole vectors where the codes start
     * on a byte, the rule's {@link QuantRules#codeValue} at the edges.
     */
    private static void decodeRun(byte[] codes, int from, int to, float s, QuantValue value, float[] out, int shift) {
        int perByte = 8 / value.bits();
        int i = from;
        for (; i < to && i % perByte != 0; i++) {
            out[i - shift] = QuantRules.codeValue(codes, i, value) * s;
        }
        for (; i + L <= to; i += L) {
            PanamaCodes.codeValues(codes, i, value).mul(s).intoArray(out, i - shift);
        }
        for (; i < to; i++) {
            out[i - shift] = QuantRules.codeValue(codes, i, value) * s;
        }
    }
}
