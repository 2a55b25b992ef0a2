package dev.quant4j.kernels;

import static dev.quant4j.kernels.PanamaSpecies.BITS;
import static dev.quant4j.kernels.PanamaSpecies.BL;
import static dev.quant4j.kernels.PanamaSpecies.BL_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BL_MASK;
import static dev.quant4j.kernels.PanamaSpecies.F;
import static dev.quant4j.kernels.PanamaSpecies.I;
import static dev.quant4j.kernels.PanamaSpecies.L;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.QuantizedTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API product kernels on quantized weights (see {@link QuantKernels#matvec}).
 *
 * <p>The 4-bit path avoids an int-to-float conversion per weight. A code byte holds two nibbles n;
 * with u = n XOR 8 (so u = q + 8 for the two's complement code q), the float32 with bit pattern
 * {@code 0x3F800000 | u << 19} is exactly {@code 1 + u / 16}. One shift and one mask-and-xor (a single
 * VPTERNLOG on AVX-512) build it, so {@code (1 + u/16) * 16x = (24 + q) * x}; the {@code -24 * x} terms are
 * summed once per call into a correction vector. The activations are reordered once per call to match
 * the nibble order: for each run of 2L weights, the L even-numbered ones (low nibbles), then the L
 * odd-numbered ones (high nibbles). The cost is rounding at the scale of 24|x| instead of |q x| inside
 * a block (a few ulps of the block's partial sum), far below the 4-bit quantization error.
 */
final class PanamaProducts implements Products {
    static final PanamaProducts INSTANCE = new PanamaProducts();

    private static final int MANT_NIBBLE = 0x780000;
    private static final int ONE_PLUS_HALF = 0x3FC00000; // 0x3F800000 with the nibble's top bit preset (the XOR 8)
    private static final float CORR = -24f;
    private static final float NIBBLE_SCALE = 16f;
    // No static final zero vector: a loop phi that merges a constant vector object forces C2 to box the
    // loop-carried vector on every iteration (measured: hundreds of MB allocated per matvec).

    /** Short lanes for the integer path: half the width, so that widening them to int fills one vector. */
    private static final VectorSpecies<Short> S =
            ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, BITS / 2)));

    private static final int SL = S.length();
    /** Int lanes matching S lane for lane (twice its bits). */
    private static final VectorSpecies<Integer> SI =
            IntVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(2 * S.vectorBitSize()));

    private static final VectorSpecies<Float> SF =
            FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(2 * S.vectorBitSize()));
    private static final VectorSpecies<Byte> SB =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));
    private static final boolean SB_EXACT = SB.length() == SL;
    private static final jdk.incubator.vector.VectorMask<Byte> SB_MASK = SB.indexInRange(0, SL);

    /** Lane rotations by 8, 4, 2 and 1: a fixed summation tree for {@link #sum}. */
    private static final VectorShuffle<Float> ROT8 = VectorShuffle.fromOp(F, i -> (i + 8) % L);

    private static final VectorShuffle<Float> ROT4 = VectorShuffle.fromOp(F, i -> (i + 4) % L);
    private static final VectorShuffle<Float> ROT2 = VectorShuffle.fromOp(F, i -> (i + 2) % L);
    private static final VectorShuffle<Float> ROT1 = VectorShuffle.fromOp(F, i -> (i + 1) % L);

    private PanamaProducts() {}

    /**
     * The sum of the lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order to the
     * implementation, and the interpreter and C2 do differ, so the same call could give different bits
     * before and after the JIT compiles it.
     */
    static float sum(FloatVector v) {
        if (L >= 16) {
            v = v.add(v.rearrange(ROT8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(ROT4));
        }
        v = v.add(v.rearrange(ROT2));
        v = v.add(v.rearrange(ROT1));
        return v.lane(0);
    }

    private static boolean isQ4(QuantValue v) {
        return v == QuantValue.Q4F || v == QuantValue.Q4S;
    }

    private static boolean isQ8(QuantValue v) {
        return v == QuantValue.Q8F || v == QuantValue.Q8S;
    }

    /** Every scale segment of every row is whole 32-weight runs that start on a byte. */
    private static boolean runsOf32(int cols, int be) {
        return cols % 32 == 0 && (be % 32 == 0 || be >= cols);
    }

    // ------------------------------------------------------------------ float32 activations

    /** Activation row {@code j} of a tile of {@code n} rows from {@code k0}; rows past the batch reuse the last. */
    private static int tileRow(int k0, int n, int j) {
        return k0 + Math.min(j, n - 1);
    }

    /** Writes the sums of a tile's first {@code n} activation rows (the others repeated the last row). */
    private static void storeTile(float[] out, int rows, int r, int k0, int n, float s0, float s1, float s2, float s3) {
        out[k0 * rows + r] = s0;
        if (n > 1) {
            out[(k0 + 1) * rows + r] = s1;
        }
        if (n > 2) {
            out[(k0 + 2) * rows + r] = s2;
        }
        if (n > 3) {
            out[(k0 + 3) * rows + r] = s3;
        }
    }

    @Override
    public void matvec(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        int[] rc = KernelArguments.checkMatvec(w, x, 1, out);
        matmul(w, x, 1, out, rc[0], rc[1], parallelism);
    }

    @Override
    public void matmul(QuantizedTensor w, float[] x, int batch, float[] out, Parallelism parallelism) {
        int[] rc = KernelArguments.checkMatvec(w, x, batch, out);
        matmul(w, x, batch, out, rc[0], rc[1], parallelism);
    }

    private static void matmul(
            QuantizedTensor w, float[] x, int batch, float[] out, int rows, int cols, Parallelism parallelism) {
        BlockLayout layout = w.layout();
        QuantValue value = w.scheme().value();
        int be = layout.lastBlockExtent();
        byte[] codes = w.codes();
        float[] scales = w.scales();
        if (w.isAffine()) {
            parallelism.forRows(
                    rows, (long) cols * batch, (from, to) -> affineRows(w, cols, x, batch, out, rows, from, to));
        } else if (isQ4(value) && runsOf32(cols, be)) {
            float[] xp = new float[batch * cols];
            float[] corr = new float[batch * (cols / 32) * L];
            for (int k = 0; k < batch; k++) {
                prepareNibbleActivations(x, k * cols, cols, xp, corr, k * (cols / 32) * L);
            }
            int seg = Math.min(be, cols);
            if (batch == 1) {
                parallelism.forRows(
                        rows, cols, (from, to) -> q4Rows(codes, scales, layout, cols, seg, xp, corr, out, from, to));
            } else {
                parallelism.forRows(
                        rows,
                        (long) cols * batch,
                        (from, to) ->
                                q4BatchRows(codes, scales, layout, cols, seg, xp, corr, batch, out, rows, from, to));
            }
        } else if (isQ8(value) && runsOf32(cols, be) && batch == 1) {
            int seg = Math.min(be, cols);
            parallelism.forRows(rows, cols, (from, to) -> q8Rows(codes, scales, layout, cols, seg, x, out, from, to));
        } else {
            parallelism.forRows(
                    rows,
                    (long) cols * batch,
                    (from, to) -> genericRows(codes, scales, layout, value, cols, x, batch, out, rows, from, to));
        }
    }

    /**
     * Activations in nibble order, times 16, and per 32-weight block the L-lane correction
     * {@code -24 * (x_even + x_odd)} summed over the block's runs of 2L weights.
     */
    static void prepareNibbleActivations(float[] x, int off, int cols, float[] xp, float[] corr, int corrOff) {
        for (int c = 0; c < cols; c += 2 * L) {
            for (int k = 0; k < L; k++) {
                float even = x[off + c + 2 * k];
                float odd = x[off + c + 2 * k + 1];
                xp[off + c + k] = NIBBLE_SCALE * even;
                xp[off + c + L + k] = NIBBLE_SCALE * odd;
                corr[corrOff + (c / 32) * L + k] += CORR * (even + odd);
            }
        }
    }

    /**
     * One step of 2L weights from code byte {@code byteOff}: {@code p} plus the L-lane sums of {@code (24 + q) * x}
     * of its even and odd weights. The callers hold the loop over a block: see {@link #q8Lanes} for why.
     */
    private static FloatVector q4Step(byte[] codes, int byteOff, float[] xp, int c, FloatVector p) {
        IntVector z = nibbleBytes(codes, byteOff);
        return nibbleFloats(z, 15)
                .fma(FloatVector.fromArray(F, xp, c + L), nibbleFloats(z, 19).fma(FloatVector.fromArray(F, xp, c), p));
    }

    /** The L code bytes from {@code byteOff}, zero-extended to int lanes. */
    private static IntVector nibbleBytes(byte[] codes, int byteOff) {
        return (BL_EXACT
                        ? ByteVector.fromArray(BL, codes, byteOff)
                        : PanamaSpecies.loadFirst(BL, codes, byteOff, BL_MASK))
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)
                .reinterpretAsInts();
    }

    /** {@code 1 + u / 16} per lane for the nibble that {@code shift} (19: low, 15: high) moves to the mantissa. */
    private static FloatVector nibbleFloats(IntVector z, int shift) {
        return z.lanewise(VectorOperators.LSHL, shift)
                .and(MANT_NIBBLE)
                .lanewise(VectorOperators.XOR, ONE_PLUS_HALF)
                .reinterpretAsFloats();
    }

    /*
     * The row loops call one small method per row on purpose: C2 stops inlining once a compilation grows
     * past its node budget, and a Vector API call left out of line falls back to Java code that
     * allocates a vector object per operation (measured: 200 MB and ~10x the time per matvec).
     */
    private static void q4Rows(
            byte[] codes,
            float[] scales,
            BlockLayout layout,
            int cols,
            int seg,
            float[] xp,
            float[] corr,
            float[] out,
            int from,
            int to) {
        int blocks = cols / 32;
        boolean pairs = seg == 32 && (blocks & 1) == 0;
        for (int r = from; r < to; r++) {
            int base = layout.rowBlockBase(r);
            int rowByte = r * (cols >>> 1);
            out[r] = pairs
                    ? q4RowPairs(codes, rowByte, scales, base, blocks, xp, corr)
                    : q4RowSegments(codes, rowByte, scales, base, cols, seg, xp, corr);
        }
    }

    /** One row of 32-weight blocks, an even number of them, in two independent FMA chains. */
    private static float q4RowPairs(
            byte[] codes, int rowByte, float[] scales, int base, int blocks, float[] xp, float[] corr) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b += 2) {
            FloatVector p0 = FloatVector.fromArray(F, corr, b * L);
            FloatVector p1 = FloatVector.fromArray(F, corr, b * L + L);
            for (int j = 0; j < 32; j += 2 * L) {
                p0 = q4Step(codes, rowByte + b * 16 + j / 2, xp, b * 32 + j, p0);
                p1 = q4Step(codes, rowByte + b * 16 + 16 + j / 2, xp, b * 32 + 32 + j, p1);
            }
            acc0 = p0.fma(FloatVector.broadcast(F, scales[base + b]), acc0);
            acc1 = p1.fma(FloatVector.broadcast(F, scales[base + b + 1]), acc1);
        }
        return sum(acc0.add(acc1));
    }

    /** One row whose scale segments are whole runs of 32 weights (any count, tensor level included). */
    private static float q4RowSegments(
            byte[] codes, int rowByte, float[] scales, int base, int cols, int seg, float[] xp, float[] corr) {
        FloatVector acc = FloatVector.zero(F);
        for (int c0 = 0, sb = base; c0 < cols; c0 += seg, sb++) {
            int end = Math.min(c0 + seg, cols);
            FloatVector p = FloatVector.zero(F);
            for (int c = c0; c < end; c += 32) {
                p = p.add(FloatVector.fromArray(F, corr, c / 32 * L));
                for (int j = 0; j < 32; j += 2 * L) {
                    p = q4Step(codes, rowByte + (c + j) / 2, xp, c + j, p);
                }
            }
            acc = p.fma(FloatVector.broadcast(F, scales[sb]), acc);
        }
        return sum(acc);
    }

    /** Up to four activation rows at a time share each decoded code vector. */
    private static void q4BatchRows(
            byte[] codes,
            float[] scales,
            BlockLayout layout,
            int cols,
            int seg,
            float[] xp,
            float[] corr,
            int batch,
            float[] out,
            int rows,
            int from,
            int to) {
        for (int r = from; r < to; r++) {
            int base = layout.rowBlockBase(r);
            for (int k0 = 0; k0 < batch; k0 += 4) {
                q4BatchTile(codes, scales, base, r, cols, seg, xp, corr, k0, Math.min(4, batch - k0), out, rows);
            }
        }
    }

    private static void q4BatchTile(
            byte[] codes,
            float[] scales,
            int base,
            int r,
            int cols,
            int seg,
            float[] xp,
            float[] corr,
            int k0,
            int n,
            float[] out,
            int rows) {
        int corrRow = (cols / 32) * L;
        int rowByte = r * (cols >>> 1);
        // Rows past the batch reuse the last one; their sums are dropped.
        int x0 = k0 * cols;
        int x1 = tileRow(k0, n, 1) * cols;
        int x2 = tileRow(k0, n, 2) * cols;
        int x3 = tileRow(k0, n, 3) * cols;
        int c0r = k0 * corrRow;
        int c1r = tileRow(k0, n, 1) * corrRow;
        int c2r = tileRow(k0, n, 2) * corrRow;
        int c3r = tileRow(k0, n, 3) * corrRow;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int s0 = 0, sb = base; s0 < cols; s0 += seg, sb++) {
            int end = Math.min(s0 + seg, cols);
            FloatVector p0 = FloatVector.zero(F);
            FloatVector p1 = FloatVector.zero(F);
            FloatVector p2 = FloatVector.zero(F);
            FloatVector p3 = FloatVector.zero(F);
            for (int c = s0; c < end; c += 32) {
                int cb = c / 32 * L;
                p0 = p0.add(FloatVector.fromArray(F, corr, c0r + cb));
                p1 = p1.add(FloatVector.fromArray(F, corr, c1r + cb));
                p2 = p2.add(FloatVector.fromArray(F, corr, c2r + cb));
                p3 = p3.add(FloatVector.fromArray(F, corr, c3r + cb));
                for (int j = 0; j < 32; j += 2 * L) {
                    IntVector z = nibbleBytes(codes, rowByte + (c + j) / 2);
                    FloatVector lo = nibbleFloats(z, 19);
                    FloatVector hi = nibbleFloats(z, 15);
                    int e = c + j;
                    int o = c + j + L;
                    p0 = hi.fma(FloatVector.fromArray(F, xp, x0 + o), lo.fma(FloatVector.fromArray(F, xp, x0 + e), p0));
                    p1 = hi.fma(FloatVector.fromArray(F, xp, x1 + o), lo.fma(FloatVector.fromArray(F, xp, x1 + e), p1));
                    p2 = hi.fma(FloatVector.fromArray(F, xp, x2 + o), lo.fma(FloatVector.fromArray(F, xp, x2 + e), p2));
                    p3 = hi.fma(FloatVector.fromArray(F, xp, x3 + o), lo.fma(FloatVector.fromArray(F, xp, x3 + e), p3));
                }
            }
            float s = scales[sb];
            a0 = p0.fma(FloatVector.broadcast(F, s), a0);
            a1 = p1.fma(FloatVector.broadcast(F, s), a1);
            a2 = p2.fma(FloatVector.broadcast(F, s), a2);
            a3 = p3.fma(FloatVector.broadcast(F, s), a3);
        }
        storeTile(out, rows, r, k0, n, sum(a0), sum(a1), sum(a2), sum(a3));
    }

    /**
     * L codes from {@code i} as float32 lanes. The row methods below hold the loop over a 32-weight block
     * themselves and call only this: a helper that held the loop was, at 128 bits (8 steps per block),
     * compiled on its own into more than {@code InlineSmallCode} bytes, after which C2 would not inline it
     * ("already compiled into a big method") and every block passed boxed vectors (Q8 matvec 0.7 GB/s).
     */
    private static FloatVector q8Lanes(byte[] codes, int i) {
        return (BL_EXACT ? ByteVector.fromArray(BL, codes, i) : PanamaSpecies.loadFirst(BL, codes, i, BL_MASK))
                .convertShape(VectorOperators.B2F, F, 0)
                .reinterpretAsFloats();
    }

    private static void q8Rows(
            byte[] codes,
            float[] scales,
            BlockLayout layout,
            int cols,
            int seg,
            float[] x,
            float[] out,
            int from,
            int to) {
        int blocks = cols / 32;
        boolean pairs = seg == 32 && (blocks & 1) == 0;
        for (int r = from; r < to; r++) {
            int base = layout.rowBlockBase(r);
            out[r] = pairs
                    ? q8RowPairs(codes, r * cols, scales, base, blocks, x)
                    : q8RowSegments(codes, r * cols, scales, base, cols, seg, x);
        }
    }

    private static float q8RowPairs(byte[] codes, int row, float[] scales, int base, int blocks, float[] x) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b += 2) {
            int c = b * 32;
            FloatVector p0 = FloatVector.zero(F);
            FloatVector p1 = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                p0 = q8Lanes(codes, row + c + j).fma(FloatVector.fromArray(F, x, c + j), p0);
                p1 = q8Lanes(codes, row + c + 32 + j).fma(FloatVector.fromArray(F, x, c + 32 + j), p1);
            }
            acc0 = p0.fma(FloatVector.broadcast(F, scales[base + b]), acc0);
            acc1 = p1.fma(FloatVector.broadcast(F, scales[base + b + 1]), acc1);
        }
        return sum(acc0.add(acc1));
    }

    private static float q8RowSegments(byte[] codes, int row, float[] scales, int base, int cols, int seg, float[] x) {
        FloatVector acc = FloatVector.zero(F);
        for (int c0 = 0, sb = base; c0 < cols; c0 += seg, sb++) {
            int end = Math.min(c0 + seg, cols);
            FloatVector p = FloatVector.zero(F);
            for (int c = c0; c < end; c += L) {
                p = q8Lanes(codes, row + c).fma(FloatVector.fromArray(F, x, c), p);
            }
            acc = p.fma(FloatVector.broadcast(F, scales[sb]), acc);
        }
        return sum(acc);
    }

    /** Any value and layout: each code vector is dequantized in registers ({@code q * s}) and multiplied. */
    private static void genericRows(
            byte[] codes,
            float[] scales,
            BlockLayout layout,
            QuantValue value,
            int cols,
            float[] x,
            int batch,
            float[] out,
            int rows,
            int from,
            int to) {
        int be = layout.lastBlockExtent();
        for (int r = from; r < to; r++) {
            int base = layout.rowBlockBase(r);
            for (int k0 = 0; k0 < batch; k0 += 4) {
                genericTile(codes, scales, base, be, value, r, cols, x, k0, Math.min(4, batch - k0), out, rows);
            }
        }
    }

    /** One row times up to four activation rows {@code k0 ..}; rows past the batch reuse the last one. */
    private static void genericTile(
            byte[] codes,
            float[] scales,
            int base,
            int be,
            QuantValue value,
            int r,
            int cols,
            float[] x,
            int k0,
            int n,
            float[] out,
            int rows) {
        int bits = value.bits();
        int align = 8 / bits;
        int row = r * cols;
        int x0 = k0 * cols;
        int x1 = tileRow(k0, n, 1) * cols;
        int x2 = tileRow(k0, n, 2) * cols;
        int x3 = tileRow(k0, n, 3) * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        float t0 = 0f;
        float t1 = 0f;
        float t2 = 0f;
        float t3 = 0f;
        for (int c0 = 0, sb = base; c0 < cols; c0 += be, sb++) {
            int end = Math.min(c0 + be, cols);
            float s = scales[sb];
            int c = c0;
            for (; c < end && ((row + c) % align) != 0; c++) {
                float wv = QuantRules.codeValue(codes, row + c, value) * s;
                t0 += wv * x[x0 + c];
                t1 += wv * x[x1 + c];
                t2 += wv * x[x2 + c];
                t3 += wv * x[x3 + c];
            }
            for (; c + L <= end; c += L) {
                FloatVector wv = PanamaCodes.codeValues(codes, row + c, value).mul(s);
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                if (n > 1) {
                    a1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    a2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                    a3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                }
            }
            for (; c < end; c++) {
                float wv = QuantRules.codeValue(codes, row + c, value) * s;
                t0 += wv * x[x0 + c];
                t1 += wv * x[x1 + c];
                t2 += wv * x[x2 + c];
                t3 += wv * x[x3 + c];
            }
        }
        storeTile(out, rows, r, k0, n, sum(a0) + t0, sum(a1) + t1, sum(a2) + t2, sum(a3) + t3);
    }

    @Override
    public void matvec(float[] w, int rows, int cols, float[] x, float[] out, Parallelism parallelism) {
        KernelArguments.checkDense(w, rows, cols, x, out);
        parallelism.forRows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                out[r] = dot(w, r * cols, x, 0, cols);
            }
        });
    }

    /** {@code sum_c w[wo + c] * x[xo + c]} over {@code c < cols}, four vector chains then the tail. */
    private static float dot(float[] w, int row, float[] x, int xo, int cols) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int c = 0;
        for (; c + 4 * L <= cols; c += 4 * L) {
            a0 = FloatVector.fromArray(F, w, row + c).fma(FloatVector.fromArray(F, x, xo + c), a0);
            a1 = FloatVector.fromArray(F, w, row + c + L).fma(FloatVector.fromArray(F, x, xo + c + L), a1);
            a2 = FloatVector.fromArray(F, w, row + c + 2 * L).fma(FloatVector.fromArray(F, x, xo + c + 2 * L), a2);
            a3 = FloatVector.fromArray(F, w, row + c + 3 * L).fma(FloatVector.fromArray(F, x, xo + c + 3 * L), a3);
        }
        for (; c + L <= cols; c += L) {
            a0 = FloatVector.fromArray(F, w, row + c).fma(FloatVector.fromArray(F, x, xo + c), a0);
        }
        float t = sum(a0.add(a1).add(a2.add(a3)));
        for (; c < cols; c++) {
            t += w[row + c] * x[xo + c];
        }
        return t;
    }

    /**
     * Affine weights: each row decoded once into float32 ({@code fma(q, d, m)}, the dequantize kernel's
     * values), then one dot product per activation row.
     */
    private static void affineRows(
            QuantizedTensor w, int cols, float[] x, int batch, float[] out, int rows, int from, int to) {
        float[] row = new float[cols];
        for (int r = from; r < to; r++) {
            PanamaKernels.INSTANCE.dequantizeRows(w, r, r + 1, row, 0);
            for (int k = 0; k < batch; k++) {
                out[k * rows + r] = dot(row, 0, x, k * cols, cols);
            }
        }
    }

    // ------------------------------------------------------------------ int8 activations

    @Override
    public void matvecInt8(QuantizedTensor w, float[] x, float[] out, Parallelism parallelism) {
        KernelArguments.checkIntegerWeights(w);
        int[] rc = KernelArguments.checkMatvec(w, x, 1, out);
        int rows = rc[0];
        int cols = rc[1];
        QuantRules.Int8Activations a = QuantRules.quantizeActivations(x);
        BlockLayout layout = w.layout();
        QuantValue value = w.scheme().value();
        int be = layout.lastBlockExtent();
        if (!runsOf32(cols, be) || !(isQ4(value) || isQ8(value)) || w.isAffine()) {
            ScalarProducts.matvecInt8Rows(w, a, rows, cols, out, parallelism);
            return;
        }
        byte[] codes = w.codes();
        float[] scales = w.scales();
        int seg = Math.min(be, cols);
        short[] qa = new short[cols];
        byte[] qaBytes = a.codes();
        if (isQ4(value)) {
            // Nibble order per run of 2 * SL codes, as for the float path.
            for (int c = 0; c < cols; c += 2 * SL) {
                for (int k = 0; k < SL; k++) {
                    qa[c + k] = qaBytes[c + 2 * k];
                    qa[c + SL + k] = qaBytes[c + 2 * k + 1];
                }
            }
        } else {
            for (int c = 0; c < cols; c++) {
                qa[c] = qaBytes[c];
            }
        }
        float[] sa = a.scales();
        boolean four = isQ4(value);
        parallelism.forRows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = layout.rowBlockBase(r);
                out[r] = four
                        ? q4Int8Row(codes, (r * cols) >>> 1, scales, base, cols, seg, qa, sa)
                        : q8Int8Row(codes, r * cols, scales, base, cols, seg, qa, sa);
            }
        });
    }

    /*
     * Per block: the exact integer sum of its 32 products, lane-wise (at most 32 * 8 * 127 in magnitude
     * for 4-bit weights, which int16 lanes hold; 8-bit products are widened to int32 before they are
     * added), converted to float32 and multiplied by the block's two scales.
     */
    private static float q4Int8Row(
            byte[] codes, int rowByte, float[] scales, int base, int cols, int seg, short[] qa, float[] sa) {
        FloatVector acc = FloatVector.zero(SF);
        // The scale index moves on every seg columns (a multiple of 32): counted, not c / seg, which C2
        // compiles to an idiv per block (seg is not a constant).
        for (int c = 0, sb = base, next = seg; c < cols; c += 32) {
            if (c == next) {
                sb++;
                next += seg;
            }
            IntVector dot = q4Int8Block(codes, rowByte + c / 2, qa, c);
            float scale = scales[sb] * sa[c / 32];
            acc = dot.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.broadcast(SF, scale), acc);
        }
        return sum(acc);
    }

    private static float q8Int8Row(
            byte[] codes, int row, float[] scales, int base, int cols, int seg, short[] qa, float[] sa) {
        FloatVector acc = FloatVector.zero(SF);
        // The scale index moves on every seg columns (a multiple of 32): counted, not c / seg, which C2
        // compiles to an idiv per block (seg is not a constant).
        for (int c = 0, sb = base, next = seg; c < cols; c += 32) {
            if (c == next) {
                sb++;
                next += seg;
            }
            IntVector dot = q8Int8Block(codes, row + c, qa, c);
            float scale = scales[sb] * sa[c / 32];
            acc = dot.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.broadcast(SF, scale), acc);
        }
        return sum(acc);
    }

    private static IntVector q4Int8Block(byte[] codes, int byteOff, short[] qa, int c) {
        ShortVector sum = ShortVector.zero(S);
        for (int j = 0; j < 32; j += 2 * SL) {
            ShortVector z = (SB_EXACT
                            ? ByteVector.fromArray(SB, codes, byteOff + j / 2)
                            : PanamaSpecies.loadFirst(SB, codes, byteOff + j / 2, SB_MASK))
                    .convertShape(VectorOperators.B2S, S, 0)
                    .reinterpretAsShorts();
            ShortVector lo = z.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12);
            ShortVector hi = z.lanewise(VectorOperators.ASHR, 4);
            sum = sum.add(lo.mul(ShortVector.fromArray(S, qa, c + j)))
                    .add(hi.mul(ShortVector.fromArray(S, qa, c + j + SL)));
        }
        return sum.convertShape(VectorOperators.S2I, SI, 0).reinterpretAsInts();
    }

    private static IntVector q8Int8Block(byte[] codes, int i, short[] qa, int c) {
        IntVector sum = IntVector.zero(SI);
        for (int j = 0; j < 32; j += SL) {
            ShortVector prod = (SB_EXACT
                            ? ByteVector.fromArray(SB, codes, i + j)
                            : PanamaSpecies.loadFirst(SB, codes, i + j, SB_MASK))
                    .convertShape(VectorOperators.B2S, S, 0)
                    .reinterpretAsShorts()
                    .mul(ShortVector.fromArray(S, qa, c + j));
            sum = sum.add(prod.convertShape(VectorOperators.S2I, SI, 0).reinterpretAsInts());
        }
        return sum;
    }
}
