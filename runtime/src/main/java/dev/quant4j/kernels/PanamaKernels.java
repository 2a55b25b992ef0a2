package dev.quant4j.kernels;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.format.MiniFloat;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.System.Logger.Level;
import java.nio.ByteOrder;

import static dev.quant4j.kernels.PanamaSpecies.BH;
import static dev.quant4j.kernels.PanamaSpecies.BH_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BH_MASK;
import static dev.quant4j.kernels.PanamaSpecies.BITS;
import static dev.quant4j.kernels.PanamaSpecies.BL;
import static dev.quant4j.kernels.PanamaSpecies.BL_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BL_MASK;
import static dev.quant4j.kernels.PanamaSpecies.BQ;
import static dev.quant4j.kernels.PanamaSpecies.BQ_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BQ_MASK;
import static dev.quant4j.kernels.PanamaSpecies.F;
import static dev.quant4j.kernels.PanamaSpecies.I;
import static dev.quant4j.kernels.PanamaSpecies.L;

/**
 * Vector API (Panama) kernels: the numeric contract of {@link ScalarKernels}, bit for bit, L lanes at a
 * time. Only {@link Kernels} loads this class, by name, once it knows {@code jdk.incubator.vector} is
 * readable.
 *
 * <p>How the results stay identical to the reference:
 * <ul>
 *   <li>Block maxima are maxima of {@code |x|}; for non-negative floats the order of their bit patterns
 *       is the order of their values, so an integer max over {@code bits & 0x7FFFFFFF} is exact (and a
 *       result at or above {@code 0x7F800000} means the block holds NaN or an infinity).</li>
 *   <li>Scales come from the reference's own {@link ScalarKernels#storedScale}, one per block.</li>
 *   <li>{@code x / s} is one vector division by the stored scale, as in the reference.</li>
 *   <li>{@code rint} (half to even): for |y| &lt; 2^22, {@code y + 1.5 * 2^23} lands in [2^23, 2^24) where
 *       float32 steps are exactly 1, so the addition itself rounds half to even; the sum's bit pattern
 *       is {@code 0x4B400000 + rint(y)}. Clamping that pattern to the code range in int arithmetic is
 *       the reference's clamp, and its low bits are the two's complement code. |y| never exceeds about
 *       128.5 here because the stored scale is at least {@code amax / 127.5}.</li>
 *   <li>Small float formats round the float32 mantissa to M bits half to even by integer arithmetic on
 *       the bit pattern (the carry moves into the exponent exactly as the reference's "next binade"
 *       case), subnormals round on their fixed grid with the same 2^23 addition, and magnitudes at or
 *       above the largest finite value saturate.</li>
 * </ul>
 * Anything the reference rejects (a non-finite value, a scale too large for its param type) makes
 * this class hand the whole tensor to the reference, which throws the reference's exact error.
 */
public final class PanamaKernels implements QuantKernels {
    private static final int MAGIC_BITS = 0x4B400000;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23
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
    /** Left shifts that put code (i mod 4) of a byte in the top 2 bits. */
    private static final IntVector CRUMB_UP = IntVector.fromArray(I, lanePattern(30, 28, 26, 24), 0);

    static final PanamaKernels INSTANCE = new PanamaKernels();

    private PanamaKernels() {
    }

    /**
     * The SIMD kernels, or null (after one WARNING line) when this JVM cannot run them well.
     * Called reflectively by {@link Kernels}.
     */
    static PanamaKernels create() {
        System.Logger log = System.getLogger("dev.quant4j.kernels");
        if (PanamaSpecies.maxBits() < 128) {
            log.log(Level.WARNING, "quant4j kernels: SIMD is off, the scalar kernels run: this CPU offers no"
                    + " vectors of 128 bits or more to the Vector API");
            return null;
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            log.log(Level.WARNING, "quant4j kernels: SIMD is off, the scalar kernels run: the SIMD code packing"
                    + " assumes a little-endian CPU");
            return null;
        }
        log.log(Level.DEBUG, "quant4j kernels: " + INSTANCE.name());
        return INSTANCE;
    }

    /** The vector width of this JVM's SIMD kernels in bits. */
    public static int vectorBits() {
        return BITS;
    }

    @Override
    public String name() {
        return "panama-" + BITS;
    }

    private static int[] lanePattern(int... period) {
        int[] a = new int[L];
        for (int i = 0; i < L; i++) {
            a[i] = period[i % period.length];
        }
        return a;
    }

    // ---------------------------------------------------------------- quantize

    @Override
    public QuantizedTensor quantize(String name, FloatTensor tensor, QuantScheme scheme) {
        int[] shape = tensor.shape();
        float[] x = tensor.data();
        ScalarKernels.checkScheme(name, shape, scheme);
        long bytes = Packing.packedBytes(x.length, scheme.value(), scheme.store());
        if (bytes > Integer.MAX_VALUE - 8) {
            return ScalarKernels.INSTANCE.quantize(name, tensor, scheme);
        }
        BlockLayout layout = new BlockLayout(shape, scheme);
        byte[] codes = new byte[(int) bytes];
        float[] scales;
        if (rowBlocked(layout, scheme, shape)) {
            scales = new float[layout.blockCount()];
            if (!quantizeRowBlocks(x, layout, scheme, codes, scales)) {
                // A non-finite value or a scale its param type cannot hold: the reference throws its error.
                return ScalarKernels.INSTANCE.quantize(name, tensor, scheme);
            }
        } else {
            float[] amax = new float[layout.blockCount()];
            if (!blockAbsMax(x, layout, amax)) {
                ScalarKernels.checkFinite(name, x);
                return ScalarKernels.INSTANCE.quantize(name, tensor, scheme);
            }
            scales = ScalarKernels.scales(name, amax, scheme, layout);
            encodeAll(x, layout, scheme.value(), amax, scales, codes);
        }
        return new QuantizedTensor(shape, scheme, codes, scales);
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
    private static boolean quantizeRowBlocks(float[] x, BlockLayout layout, QuantScheme scheme, byte[] codes,
                                             float[] scales) {
        QuantValue value = scheme.value();
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        int rows = layout.rows();
        if (rows == 0 || len == 0) {
            // No elements: every block (the tensor level has one) gets the scale of an all-zero block.
            for (int b = 0; b < scales.length; b++) {
                scales[b] = ScalarKernels.storedScale(0f, value, scheme.param());
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
                float s = ScalarKernels.storedScale(Float.intBitsToFloat(amaxBits[k]), value, scheme.param());
                if (s == Float.POSITIVE_INFINITY) {
                    return false;
                }
                scales[base + k] = s;
            }
            for (int k = 0, c0 = 0; k < perRow; k++, c0 += be) {
                if (amaxBits[k] != 0) {
                    encodeSegment(x, row + c0, Math.min(be, len - c0), scales[base + k], value, codes);
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
    private static boolean quantizeRows32(float[] x, BlockLayout layout, QuantValue value,
                                          dev.quant4j.annotations.QuantParam param, byte[] codes, float[] scales) {
        int len = layout.rowLength();
        int blocks = len / 32;
        int lo = MAGIC_BITS + value.minCode();
        int hi = MAGIC_BITS + value.maxCode();
        boolean eight = value.bits() == 8;
        for (int r = 0; r < layout.rows(); r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            for (int k = 0; k < blocks; k++) {
                int i = row + 32 * k;
                IntVector m = FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF);
                for (int j = L; j < 32; j += L) {
                    m = m.max(FloatVector.fromArray(F, x, i + j).reinterpretAsInts().and(0x7FFFFFFF));
                }
                int v = m.reduceLanes(VectorOperators.MAX);
                if (v >= 0x7F800000) {
                    return false;
                }
                float s = ScalarKernels.storedScale(Float.intBitsToFloat(v), value, param);
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

    private static void encodeBlock32Bytes(float[] x, int i, float scale, int lo, int hi, byte[] codes) {
        FloatVector s = FloatVector.broadcast(F, scale);
        for (int j = 0; j < 32; j += L) {
            ByteVector b = FloatVector.fromArray(F, x, i + j).div(s).add(MAGIC).reinterpretAsInts().max(lo).min(hi)
                    .convertShape(VectorOperators.I2B, BL, 0).reinterpretAsBytes();
            if (BL_EXACT) {
                b.intoArray(codes, i + j);
            } else {
                b.intoArray(codes, i + j, BL_MASK);
            }
        }
    }

    private static void encodeBlock32Nibbles(float[] x, int i, float scale, int lo, int hi, byte[] codes) {
        FloatVector s = FloatVector.broadcast(F, scale);
        for (int j = 0; j < 32; j += L) {
            LongVector pair = FloatVector.fromArray(F, x, i + j).div(s).add(MAGIC).reinterpretAsInts().max(lo)
                    .min(hi).and(0xF).reinterpretAsLongs();
            ByteVector b = pair.or(pair.lanewise(VectorOperators.LSHR, 28))
                    .convertShape(VectorOperators.L2B, BH, 0).reinterpretAsBytes();
            if (BH_EXACT) {
                b.intoArray(codes, (i + j) >>> 1);
            } else {
                b.intoArray(codes, (i + j) >>> 1, BH_MASK);
            }
        }
    }

    /** Per-block max |x| for any layout; false if a value is not finite. */
    private static boolean blockAbsMax(float[] x, BlockLayout layout, float[] amax) {
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        for (int r = 0; r < layout.rows(); r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
                int m = absMaxBits(x, row + c0, Math.min(be, len - c0));
                if (m >= 0x7F800000) {
                    return false;
                }
                int old = Float.floatToRawIntBits(amax[b]);
                amax[b] = Float.intBitsToFloat(Math.max(old, m));
            }
        }
        return true;
    }

    private static void encodeAll(float[] x, BlockLayout layout, QuantValue value, float[] amax, float[] scales,
                                  byte[] codes) {
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        for (int r = 0; r < layout.rows(); r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
                if (amax[b] != 0f) {
                    encodeSegment(x, row + c0, Math.min(be, len - c0), scales[b], value, codes);
                }
            }
        }
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
                acc0 = acc0.max(FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF));
                acc1 = acc1.max(FloatVector.fromArray(F, x, i + L).reinterpretAsInts().and(0x7FFFFFFF));
            }
            m = acc0.max(acc1).reduceLanes(VectorOperators.MAX);
        }
        if (i + L <= end) {
            m = Math.max(m, FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7FFFFFFF)
                    .reduceLanes(VectorOperators.MAX));
            i += L;
        }
        for (; i < end; i++) {
            m = Math.max(m, Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF);
        }
        return m;
    }

    /** Codes of {@code x[i0 .. i0 + n)} with one stored scale {@code s > 0}, written into {@code codes}. */
    private static void encodeSegment(float[] x, int i0, int n, float s, QuantValue value, byte[] codes) {
        switch (value.bits()) {
            case 8 -> encode8(x, i0, n, s, value, codes);
            case 4 -> encode4(x, i0, n, s, value, codes);
            default -> encode2(x, i0, n, s, value, codes);
        }
    }

    /** The codes of L values as ints whose low bits are the code's bit pattern (higher bits are junk). */
    private static IntVector codeBits(FloatVector x, float s, QuantValue value) {
        FloatVector y = x.div(s);
        return switch (value) {
            case E4M3 -> encodeMini(y, 3, 7, 448f, 0x7E);
            case E5M2 -> encodeMini(y, 2, 15, 57344f, 0x7B);
            case E2M1 -> encodeMini(y, 1, 1, 6f, 0x7);
            default -> y.add(MAGIC).reinterpretAsInts()
                    .max(MAGIC_BITS + value.minCode()).min(MAGIC_BITS + value.maxCode());
        };
    }

    /**
     * Small-float encoding (round to nearest even, subnormals kept, saturating, IEEE sign) of finite
     * values; the same numbers as {@link MiniFloat#encode}. {@code mant} mantissa bits, exponent
     * {@code bias}, largest finite value {@code max} whose code is {@code maxCode}.
     */
    private static IntVector encodeMini(FloatVector y, int mant, int bias, float max, int maxCode) {
        int codeBits = mant + (bias == 7 ? 4 : bias == 15 ? 5 : 2) + 1;
        IntVector bits = y.reinterpretAsInts();
        IntVector sign = bits.lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.LSHL, codeBits - 1);
        IntVector a = bits.and(0x7FFFFFFF);
        // Normal range: round the 23-bit mantissa to `mant` bits, half to even, then rebias the exponent.
        int drop = 23 - mant;
        IntVector lsb = a.lanewise(VectorOperators.LSHR, drop).and(1);
        IntVector normal = a.add((1 << (drop - 1)) - 1).add(lsb).lanewise(VectorOperators.LSHR, drop)
                .sub((127 - bias) << mant);
        // Subnormal range: units of the smallest step 2^(1 - bias - mant); a * 2^(bias - 1 + mant) is exact.
        float up = Math.scalb(1f, bias - 1 + mant);
        IntVector sub = a.reinterpretAsFloats().mul(up).add(TWO_23).reinterpretAsInts().sub(TWO_23_BITS);
        int minNormalBits = Float.floatToRawIntBits(Math.scalb(1f, 1 - bias));
        IntVector mag = normal.blend(sub, a.compare(VectorOperators.LT, minNormalBits));
        mag = mag.blend(maxCode, a.compare(VectorOperators.GE, Float.floatToRawIntBits(max)));
        return mag.or(sign);
    }

    /**
     * Q8S codes of all of {@code x} with one given scale {@code s > 0} (static activations), equal to
     * {@link ScalarKernels#encode}: unlike a block's own scale, a frozen scale can leave {@code |x / s|} far
     * above 127 (even infinite), beyond the magic-number rounding's exact range (below 2^22), so the quotient
     * is clamped to [-127, 127] first; {@code clamp(rint(y)) = rint(clamp(y))} because the bounds are integers.
     */
    static void encodeClampedQ8(float[] x, float s, byte[] codes) {
        int i = 0;
        for (; i + L <= x.length; i += L) {
            ByteVector b = FloatVector.fromArray(F, x, i).div(s).max(-127f).min(127f).add(MAGIC).reinterpretAsInts()
                    .convertShape(VectorOperators.I2B, BL, 0).reinterpretAsBytes();
            if (BL_EXACT) {
                b.intoArray(codes, i);
            } else {
                b.intoArray(codes, i, BL_MASK);
            }
        }
        for (; i < x.length; i++) {
            codes[i] = (byte) ScalarKernels.encode(x[i], s, QuantValue.Q8S);
        }
    }

    private static void encode8(float[] x, int i0, int n, float s, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        for (; i + L <= end; i += L) {
            ByteVector b = codeBits(FloatVector.fromArray(F, x, i), s, value)
                    .convertShape(VectorOperators.I2B, BL, 0).reinterpretAsBytes();
            if (BL_EXACT) {
                b.intoArray(codes, i);
            } else {
                b.intoArray(codes, i, BL_MASK);
            }
        }
        for (; i < end; i++) {
            codes[i] = (byte) ScalarKernels.encode(x[i], s, value);
        }
    }

    private static void encode4(float[] x, int i0, int n, float s, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        if ((i & 1) != 0 && i < end) {
            Packing.put(codes, i, 4, ScalarKernels.encode(x[i], s, value));
            i++;
        }
        for (; i + L <= end; i += L) {
            // Adjacent int lanes as one long: code 2k in the low half, 2k+1 in the high half; fold the
            // high nibble down next to the low one and keep the low byte.
            LongVector pair = codeBits(FloatVector.fromArray(F, x, i), s, value).and(0xF).reinterpretAsLongs();
            ByteVector b = pair.or(pair.lanewise(VectorOperators.LSHR, 28))
                    .convertShape(VectorOperators.L2B, BH, 0).reinterpretAsBytes();
            if (BH_EXACT) {
                b.intoArray(codes, i >>> 1);
            } else {
                b.intoArray(codes, i >>> 1, BH_MASK);
            }
        }
        for (; i < end; i++) {
            Packing.put(codes, i, 4, ScalarKernels.encode(x[i], s, value));
        }
    }

    private static void encode2(float[] x, int i0, int n, float s, QuantValue value, byte[] codes) {
        int i = i0;
        int end = i0 + n;
        for (; (i & 3) != 0 && i < end; i++) {
            Packing.put(codes, i, 2, ScalarKernels.encode(x[i], s, value));
        }
        for (; i + L <= end; i += L) {
            // Two folds: int pairs to 4-bit groups in longs, then (after narrowing) long pairs to bytes.
            LongVector pair = codeBits(FloatVector.fromArray(F, x, i), s, value).and(0x3).reinterpretAsLongs();
            LongVector nib = pair.or(pair.lanewise(VectorOperators.LSHR, 30)).and(0xF);
            // nib lane k holds codes 2k, 2k+1 as 4 bits; pack pairs of lanes into bytes.
            for (int k = 0; k < L / 4; k++) {
                long lo = nib.lane(2 * k);
                long hi = nib.lane(2 * k + 1);
                codes[(i >>> 2) + k] = (byte) (lo | (hi << 4));
            }
        }
        for (; i < end; i++) {
            Packing.put(codes, i, 2, ScalarKernels.encode(x[i], s, value));
        }
    }

    // ---------------------------------------------------------------- products

    @Override
    public void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        PanamaProducts.matvec(w, x, out, parallelism);
    }

    @Override
    public void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism) {
        PanamaProducts.matvecF32(w, rows, cols, x, out, parallelism);
    }

    @Override
    public void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism) {
        PanamaProducts.matmul(w, x, batch, out, parallelism);
    }

    @Override
    public void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        PanamaProducts.matvecInt8(w, x, out, parallelism);
    }

    // ---------------------------------------------------------------- dequantize

    @Override
    public void dequantize(QuantizedTensor q, float[] out) {
        BlockLayout layout = q.layout();
        QuantValue value = q.scheme().value();
        byte[] codes = q.codes();
        float[] scales = q.scales();
        int len = layout.rowLength();
        int be = layout.lastBlockExtent();
        if (!value.isFloat() && value.bits() >= 4 && be % (2 * L) == 0 && len % be == 0) {
            // Whole blocks of whole vectors, every row starting on a byte: no edges to handle.
            boolean eight = value.bits() == 8;
            for (int r = 0; r < layout.rows(); r++) {
                if (eight) {
                    dequantizeRowBytes(codes, r * len, len, be, scales, layout.rowBlockBase(r), out);
                } else {
                    dequantizeRowNibbles(codes, r * len, len, be, scales, layout.rowBlockBase(r), out);
                }
            }
            return;
        }
        for (int r = 0; r < layout.rows(); r++) {
            int base = layout.rowBlockBase(r);
            int row = r * len;
            for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
                int n = Math.min(be, len - c0);
                float s = scales[b];
                switch (value.bits()) {
                    case 8 -> decode8(codes, row + c0, n, s, value, out);
                    case 4 -> decode4(codes, row + c0, n, s, value, out);
                    default -> decode2(codes, row + c0, n, s, value, out);
                }
            }
        }
    }

    private static void dequantizeRowBytes(byte[] codes, int row, int len, int be, float[] scales, int base,
                                           float[] out) {
        for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
            FloatVector s = FloatVector.broadcast(F, scales[b]);
            for (int i = row + c0, end = row + c0 + be; i < end; i += L) {
                ByteVector v = BL_EXACT ? ByteVector.fromArray(BL, codes, i) : ByteVector.fromArray(BL, codes, i, BL_MASK);
                v.convertShape(VectorOperators.B2F, F, 0).reinterpretAsFloats().mul(s).intoArray(out, i);
            }
        }
    }

    private static void dequantizeRowNibbles(byte[] codes, int row, int len, int be, float[] scales, int base,
                                             float[] out) {
        for (int c0 = 0, b = base; c0 < len; c0 += be, b++) {
            FloatVector s = FloatVector.broadcast(F, scales[b]);
            for (int i = row + c0, end = row + c0 + be; i < end; i += L) {
                ByteVector v = BH_EXACT ? ByteVector.fromArray(BH, codes, i >>> 1)
                        : ByteVector.fromArray(BH, codes, i >>> 1, BH_MASK);
                v.convertShape(VectorOperators.B2I, I, 0).reinterpretAsInts().rearrange(SPREAD2)
                        .lanewise(VectorOperators.LSHL, NIBBLE_UP).lanewise(VectorOperators.ASHR, 28)
                        .convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(s).intoArray(out, i);
            }
        }
    }

    /** The reference's value of one code (before the scale). */
    static float scalarValue(byte[] codes, int i, QuantValue value) {
        int bits = value.bits();
        return value.isFloat() ? MiniFloat.of(value).decode(Packing.getRaw(codes, i, bits))
                : (float) Packing.getSigned(codes, i, bits);
    }

    private static void decode8(byte[] codes, int i0, int n, float s, QuantValue value, float[] out) {
        int i = i0;
        int end = i0 + n;
        for (; i + L <= end; i += L) {
            codeValues8(codes, i, value).mul(s).intoArray(out, i);
        }
        for (; i < end; i++) {
            out[i] = scalarValue(codes, i, value) * s;
        }
    }

    private static void decode4(byte[] codes, int i0, int n, float s, QuantValue value, float[] out) {
        int i = i0;
        int end = i0 + n;
        if ((i & 1) != 0 && i < end) {
            out[i] = scalarValue(codes, i, value) * s;
            i++;
        }
        for (; i + L <= end; i += L) {
            codeValues4(codes, i, value).mul(s).intoArray(out, i);
        }
        for (; i < end; i++) {
            out[i] = scalarValue(codes, i, value) * s;
        }
    }

    private static void decode2(byte[] codes, int i0, int n, float s, QuantValue value, float[] out) {
        int i = i0;
        int end = i0 + n;
        for (; (i & 3) != 0 && i < end; i++) {
            out[i] = scalarValue(codes, i, value) * s;
        }
        for (; i + L <= end; i += L) {
            codeValues2(codes, i).mul(s).intoArray(out, i);
        }
        for (; i < end; i++) {
            out[i] = scalarValue(codes, i, value) * s;
        }
    }

    /** The values (before the scale) of the L 8-bit codes starting at code {@code i}. */
    static FloatVector codeValues8(byte[] codes, int i, QuantValue value) {
        ByteVector b = BL_EXACT ? ByteVector.fromArray(BL, codes, i) : ByteVector.fromArray(BL, codes, i, BL_MASK);
        if (value.isFloat()) {
            IntVector z = b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0).reinterpretAsInts();
            return decodeMini(z, value);
        }
        return b.convertShape(VectorOperators.B2F, F, 0).reinterpretAsFloats();
    }

    /** The values of the L 4-bit codes starting at code {@code i} (even). */
    static FloatVector codeValues4(byte[] codes, int i, QuantValue value) {
        ByteVector b = BH_EXACT ? ByteVector.fromArray(BH, codes, i >>> 1)
                : ByteVector.fromArray(BH, codes, i >>> 1, BH_MASK);
        IntVector spread = b.convertShape(VectorOperators.B2I, I, 0).reinterpretAsInts().rearrange(SPREAD2);
        if (value.isFloat()) {
            return decodeMini(spread.lanewise(VectorOperators.LSHR, NIBBLE_DOWN).and(0xF), value);
        }
        return spread.lanewise(VectorOperators.LSHL, NIBBLE_UP).lanewise(VectorOperators.ASHR, 28)
                .convert(VectorOperators.I2F, 0).reinterpretAsFloats();
    }

    /** The values of the L 2-bit integer codes starting at code {@code i} (a multiple of 4). */
    static FloatVector codeValues2(byte[] codes, int i) {
        ByteVector b = BQ_EXACT ? ByteVector.fromArray(BQ, codes, i >>> 2)
                : ByteVector.fromArray(BQ, codes, i >>> 2, BQ_MASK);
        return b.convertShape(VectorOperators.B2I, I, 0).reinterpretAsInts().rearrange(SPREAD4)
                .lanewise(VectorOperators.LSHL, CRUMB_UP).lanewise(VectorOperators.ASHR, 30)
                .convert(VectorOperators.I2F, 0).reinterpretAsFloats();
    }

    /**
     * Exact values of small-float codes (zero-extended in int lanes), NaN and infinity codes included.
     * Normal codes become float32 bit patterns by moving the exponent and mantissa up and rebiasing;
     * subnormal codes are {@code mantissa * 2^(1 - bias - M)} (never a float32 subnormal, which would
     * cost a microcode assist per operation on x86).
     */
    static FloatVector decodeMini(IntVector z, QuantValue value) {
        int mant;
        int bias;
        int signBit;
        switch (value) {
            case E4M3 -> {
                mant = 3;
                bias = 7;
                signBit = 0x80;
            }
            case E5M2 -> {
                mant = 2;
                bias = 15;
                signBit = 0x80;
            }
            default -> {
                mant = 1;
                bias = 1;
                signBit = 0x8;
            }
        }
        IntVector mag = z.and(signBit - 1);
        IntVector sign = z.and(signBit).lanewise(VectorOperators.LSHL, 31 - Integer.numberOfTrailingZeros(signBit));
        FloatVector normal = mag.lanewise(VectorOperators.LSHL, 23 - mant).add((127 - bias) << 23)
                .reinterpretAsFloats();
        FloatVector sub = mag.convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                .mul(Math.scalb(1f, 1 - bias - mant));
        FloatVector v = normal.blend(sub, mag.compare(VectorOperators.LT, 1 << mant).cast(F));
        IntVector bits = v.reinterpretAsInts();
        if (value == QuantValue.E4M3) {
            bits = bits.blend(0x7FC00000, mag.compare(VectorOperators.EQ, 0x7F));
        } else if (value == QuantValue.E5M2) {
            VectorMask<Integer> special = mag.compare(VectorOperators.GE, 0x7C);
            bits = bits.blend(0x7FC00000, special).blend(0x7F800000, mag.compare(VectorOperators.EQ, 0x7C));
        }
        return bits.or(sign).reinterpretAsFloats();
    }
}
