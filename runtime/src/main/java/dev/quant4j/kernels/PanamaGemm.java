package dev.quant4j.kernels;

import static dev.quant4j.kernels.PanamaSpecies.BITS;
import static dev.quant4j.kernels.PanamaSpecies.BL;
import static dev.quant4j.kernels.PanamaSpecies.BL_EXACT;
import static dev.quant4j.kernels.PanamaSpecies.BL_MASK;
import static dev.quant4j.kernels.PanamaSpecies.F;
import static dev.quant4j.kernels.PanamaSpecies.I;
import static dev.quant4j.kernels.PanamaSpecies.L;

import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API batched products, bit for bit equal to {@link ScalarGemm} at every width.
 *
 * <p>Why they can be equal: the vector lanes run over <em>tokens</em>, not over the dot product's
 * columns. The activations are transposed once per call to {@code [cols, tokens]} (tokens padded with
 * zeros to a multiple of the lane count), and a register tile of {@link #R} weight rows walks the columns:
 * per column, one activation vector (L tokens) and R broadcast weights, R FMAs. Each lane is then exactly
 * the reference's sequential chain for one output element, whatever the width, tiling or thread split;
 * no horizontal sum is ever taken.
 *
 * <p>The integer products use the same FMA chain on codes held as floats. That is exact integer
 * arithmetic: an int8 x int8 product is at most 128 * 127 = 16256 in magnitude, so a chain of at most
 * {@link #EXACT_RUN} = 1024 of them stays below 2^24, where every float32 is an integer and every sum of
 * two integers is exact. Longer runs (a per-row or per-tensor scale over more than 1024 columns) are cut
 * into such chunks whose exact sums are added in int32. The Vector API has no int8 dot instruction
 * (VNNI); this uses the float units' full FMA throughput (16 multiply-adds per 512-bit instruction, two
 * per cycle here) for int8 x int8, with one int-to-float conversion per weight per call (amortized over
 * all tokens) instead of one widening sequence per product. Affine weights take the same path with their
 * unsigned codes (products up to 255 * 127, so exact chains of at most {@link #AFFINE_EXACT_RUN}) and one more
 * FMA per run for the offset's term. See docs/PERFORMANCE.md.
 */
final class PanamaGemm implements GemmKernels {
    static final PanamaGemm INSTANCE = new PanamaGemm();

    /** Weight rows per register tile: 8 accumulators keep both FMA pipes busy (4-cycle latency). */
    static final int R = 8;
    /** Longest lane chain of int8 x int8 products that stays exact in float32: 1024 * 16256 < 2^24. */
    static final int EXACT_RUN = 1024;
    /** The same for affine weights, whose unsigned codes reach 255: 512 * 255 * 127 < 2^24. */
    static final int AFFINE_EXACT_RUN = 512;

    /**
     * The species of a short last group: half the width (at 256 and 512 bits; at 128 the same as {@code F}).
     * A sentence of 17 tokens at 512 bits then runs one group of 16 and one of 8 lanes instead of two of 16:
     * on a core whose FMA throughput in lanes per cycle is the same at both widths (AMD Zen 4 here), the padded
     * lanes are pure loss, and short sentences make them 28% of the lanes (the demo's 327 sentences at 16).
     */
    static final VectorSpecies<Float> FH =
            BITS >= 256 ? FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(BITS / 2)) : F;
    /** Lanes of {@link #FH}. */
    static final int LH = FH.length();

    private PanamaGemm() {}

    @Override
    public String name() {
        return "panama-" + BITS;
    }

    /**
     * Lanes of the token group that starts at token {@code g} (a multiple of L): L, or {@link #LH} for a last
     * group of at most LH tokens when {@code halfTail}.
     */
    private static int lanes(int g, int tokens, boolean halfTail) {
        return halfTail && tokens - g <= LH ? LH : L;
    }

    /** Tokens padded to the groups' lanes: every group has L lanes except perhaps a short last one. */
    private static int padded(int tokens, boolean halfTail) {
        int full = tokens - tokens % L;
        return full == tokens ? full : full + lanes(full, tokens, halfTail);
    }

    /**
     * {@code [tokens, cols]} to groups of L tokens (a short last one of {@link #LH}), each {@code [cols, lanes]}
     * (tokens padded with zeros): group g starts at {@code g * cols} and column c of it at
     * {@code g * cols + c * lanes}. The constant stride lets the JIT hoist the bounds check of the inner loop's
     * activation load (10% in a scratch copy of the loop on [1536, 384]).
     */
    private static float[] transpose(float[] x, int tokens, int cols, int tp) {
        float[] xt = new float[cols * tp];
        for (int g = 0; g < tokens; g += L) {
            int n = lanes(g, tokens, true);
            int xb = g * cols;
            for (int t = g; t < Math.min(g + L, tokens); t++) {
                int lane = t - g;
                for (int c = 0; c < cols; c++) {
                    xt[xb + c * n + lane] = x[t * cols + c];
                }
            }
        }
        return xt;
    }

    @Override
    public void matmul(float[] w, int rows, int cols, float[] x, int tokens, float[] out, Parallelism parallelism) {
        ScalarGemm.checkDense(w, rows, cols, x, tokens, out);
        int tp = padded(tokens, true);
        float[] xt = transpose(x, tokens, cols, tp);
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            float[] acc = new float[R * L];
            int[] off = new int[R];
            for (int r = from; r < to; r += R) {
                int m = Math.min(R, to - r);
                for (int k = 0; k < R; k++) {
                    off[k] = (r + Math.min(k, m - 1)) * cols;
                }
                for (int g = 0; g < tokens; g += L) {
                    int n = lanes(g, tokens, true);
                    if (n == L) {
                        chain(w, off, xt, g * cols, 0, cols, acc);
                    } else {
                        chainHalf(w, off, xt, g * cols, cols, acc);
                    }
                    scatter(acc, n, m, out, rows, r, g, tokens);
                }
            }
        });
    }

    @Override
    public void matmul(QuantizedTensor w, float[] x, int tokens, float[] out, Parallelism parallelism) {
        int[] rc = ScalarGemm.checkQuantized(w, x, tokens, out);
        int rows = rc[0];
        int cols = rc[1];
        int tp = padded(tokens, true);
        float[] xt = transpose(x, tokens, cols, tp);
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            float[] wf = new float[R * cols];
            float[] acc = new float[R * L];
            int[] off = new int[R];
            for (int r = from; r < to; r += R) {
                int m = Math.min(R, to - r);
                // The tile's rows as float32, q * s: the runtime's row dequantization, bit for bit dequantize's.
                PanamaKernels.INSTANCE.dequantizeRows(w, r, r + m, wf, 0);
                for (int k = 0; k < R; k++) {
                    off[k] = Math.min(k, m - 1) * cols;
                }
                for (int g = 0; g < tokens; g += L) {
                    int n = lanes(g, tokens, true);
                    if (n == L) {
                        chain(wf, off, xt, g * cols, 0, cols, acc);
                    } else {
                        chainHalf(wf, off, xt, g * cols, cols, acc);
                    }
                    scatter(acc, n, m, out, rows, r, g, tokens);
                }
            }
        });
    }

    /** L int8 codes from {@code codes[i ..]} as floats. */
    private static FloatVector codesAsFloats(byte[] codes, int i) {
        ByteVector b = BL_EXACT ? ByteVector.fromArray(BL, codes, i) : ByteVector.fromArray(BL, codes, i, BL_MASK);
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    public Int8Activations quantizeActivations(float[] x, int tokens, int cols, int block) {
        return ScalarGemm.quantizeActivationsWith(PanamaKernels.INSTANCE, x, tokens, cols, block);
    }

    @Override
    public Int8Activations quantizeActivationsStatic(float[] x, int tokens, int cols, float scale) {
        byte[] codes = ScalarGemm.staticCodes(x, tokens, cols, scale);
        if (scale > 0f) {
            PanamaKernels.encodeClampedQ8(x, scale, codes);
        }
        return ScalarGemm.staticActivations(codes, tokens, cols, scale);
    }

    @Override
    public void matmulInt8(QuantizedTensor w, Int8Activations a, float[] out, Parallelism parallelism) {
        int[] rc = ScalarGemm.checkInt8(w, a, out);
        int rows = rc[0];
        int cols = rc[1];
        int tokens = a.tokens();
        BlockLayout layout = w.layout();
        int be = layout.lastBlockExtent();
        int bits = w.scheme().value().bits();
        // 4-bit codes are unpacked as L low nibbles (even columns) then L high nibbles (odd columns) per run of
        // 2L columns; the activations are laid out in the same order. Only the order of exact integer additions
        // within one block run changes, so the sums are the same.
        int ba = a.block();
        int nab = a.blocksPerToken();
        boolean nibbles = bits == 4 && cols % (2 * L) == 0 && be % (2 * L) == 0 && ba % (2 * L) == 0;
        int longest = Math.min(be, ba);
        // Affine weights: unsigned codes, and per run the offset's term fma(A, m * s_a, acc) after the scale's.
        float[] mw = w.offsets();
        int exact = mw == null ? EXACT_RUN : AFFINE_EXACT_RUN;
        // A half-width last group only on the tile path (every run exact in float); the general path is full width.
        boolean halfTail = longest <= exact;
        int tp = padded(tokens, halfTail);
        float[] at = new float[cols * tp];
        byte[] qa = a.codes();
        for (int g = 0; g < tokens; g += L) {
            int n = lanes(g, tokens, halfTail);
            for (int t = g; t < Math.min(g + L, tokens); t++) {
                for (int c = 0; c < cols; c++) {
                    at[g * cols + (nibbles ? nibblePosition(c) : c) * n + t - g] = qa[t * cols + c];
                }
            }
        }
        // Activation scales transposed like the codes: [nab, tp].
        float[] sa = new float[nab * tp];
        float[] as = a.scales();
        for (int t = 0; t < tokens; t++) {
            for (int ab = 0; ab < nab; ab++) {
                sa[ab * tp + t] = as[t * nab + ab];
            }
        }
        float[] asum = mw == null ? null : activationRunSums(qa, tokens, cols, be, ba, tp);
        byte[] codes = w.codes();
        float[] sw = w.scales();
        parallelism.forRows(rows, (long) cols * tokens, (from, to) -> {
            float[] wf = new float[R * cols];
            float[] d = new float[R * L];
            float[] o = new float[R * L];
            int[] sums = new int[R * L];
            int[] off = new int[R];
            int[] base = new int[R];
            for (int r = from; r < to; r += R) {
                int m = Math.min(R, to - r);
                for (int k = 0; k < m; k++) {
                    codeRow(codes, bits, mw != null, nibbles, r + k, cols, wf, k * cols);
                }
                for (int k = 0; k < R; k++) {
                    off[k] = Math.min(k, m - 1) * cols;
                    base[k] = layout.rowBlockBase(r + Math.min(k, m - 1));
                }
                for (int g = 0; g < tokens; g += L) {
                    if (halfTail) {
                        int n = lanes(g, tokens, true);
                        if (n == L) {
                            int8Tile(wf, off, at, tp, g, cols, be, ba, sa, sw, mw, asum, base, o);
                        } else {
                            int8TileHalf(wf, off, at, tp, g, cols, be, ba, sa, sw, mw, asum, base, o);
                        }
                        scatter(o, n, m, out, rows, r, g, tokens);
                        continue;
                    }
                    java.util.Arrays.fill(o, 0f);
                    for (int c0 = 0, run = 0; c0 < cols; run++) {
                        int j = c0 / be;
                        int ab = c0 / ba;
                        int end = Math.min(Math.min((j + 1) * be, (ab + 1) * ba), cols);
                        FloatVector sat = FloatVector.fromArray(F, sa, ab * tp + g);
                        if (end - c0 <= exact) {
                            chain(wf, off, at, g * cols, c0, end, d);
                        } else {
                            longRun(wf, off, at, g * cols, c0, end, exact, d, sums);
                        }
                        for (int k = 0; k < m; k++) {
                            FloatVector scale = sat.mul(sw[base[k] + j]);
                            FloatVector acc =
                                    FloatVector.fromArray(F, d, k * L).fma(scale, FloatVector.fromArray(F, o, k * L));
                            if (mw != null) {
                                acc = FloatVector.fromArray(F, asum, run * tp + g)
                                        .fma(sat.mul(mw[base[k] + j]), acc);
                            }
                            acc.intoArray(o, k * L);
                        }
                        c0 = end;
                    }
                    scatter(o, L, m, out, rows, r, g, tokens);
                }
            }
        });
    }

    /**
     * The integer tile when every run is at most {@link #EXACT_RUN} long, with the R results in registers:
     * per run, the exact chains from +0, then {@code o = fma(d, s_t * s_w, o)} lane-wise. The same
     * arithmetic as the general path in {@link #matmulInt8}, without its stores between runs. Its inner loop
     * repeats {@link #chain}'s on purpose: calling {@code chain} per run and finishing through arrays measured
     * 2x slower (187 against 93 us for [384, 384] x 14 tokens), as the eight results then go through memory
     * every 32 columns.
     */
    private static void int8Tile(
            float[] w,
            int[] off,
            float[] xt,
            int tp,
            int g,
            int cols,
            int be,
            int ba,
            float[] sa,
            float[] sw,
            float[] mw,
            float[] asum,
            int[] base,
            float[] out) {
        int xb = g * cols;
        int o0 = off[0];
        int o1 = off[1];
        int o2 = off[2];
        int o3 = off[3];
        int o4 = off[4];
        int o5 = off[5];
        int o6 = off[6];
        int o7 = off[7];
        FloatVector r0 = FloatVector.zero(F);
        FloatVector r1 = FloatVector.zero(F);
        FloatVector r2 = FloatVector.zero(F);
        FloatVector r3 = FloatVector.zero(F);
        FloatVector r4 = FloatVector.zero(F);
        FloatVector r5 = FloatVector.zero(F);
        FloatVector r6 = FloatVector.zero(F);
        FloatVector r7 = FloatVector.zero(F);
        for (int c0 = 0, run = 0; c0 < cols; run++) {
            int j = c0 / be;
            int ab = c0 / ba;
            int end = Math.min(Math.min((j + 1) * be, (ab + 1) * ba), cols);
            FloatVector s = FloatVector.fromArray(F, sa, ab * tp + g);
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F);
            FloatVector a5 = FloatVector.zero(F);
            FloatVector a6 = FloatVector.zero(F);
            FloatVector a7 = FloatVector.zero(F);
            for (int c = c0; c < end; c++) {
                FloatVector x = FloatVector.fromArray(F, xt, xb + c * L);
                a0 = FloatVector.broadcast(F, w[o0 + c]).fma(x, a0);
                a1 = FloatVector.broadcast(F, w[o1 + c]).fma(x, a1);
                a2 = FloatVector.broadcast(F, w[o2 + c]).fma(x, a2);
                a3 = FloatVector.broadcast(F, w[o3 + c]).fma(x, a3);
                a4 = FloatVector.broadcast(F, w[o4 + c]).fma(x, a4);
                a5 = FloatVector.broadcast(F, w[o5 + c]).fma(x, a5);
                a6 = FloatVector.broadcast(F, w[o6 + c]).fma(x, a6);
                a7 = FloatVector.broadcast(F, w[o7 + c]).fma(x, a7);
            }
            r0 = a0.fma(s.mul(sw[base[0] + j]), r0);
            r1 = a1.fma(s.mul(sw[base[1] + j]), r1);
            r2 = a2.fma(s.mul(sw[base[2] + j]), r2);
            r3 = a3.fma(s.mul(sw[base[3] + j]), r3);
            r4 = a4.fma(s.mul(sw[base[4] + j]), r4);
            r5 = a5.fma(s.mul(sw[base[5] + j]), r5);
            r6 = a6.fma(s.mul(sw[base[6] + j]), r6);
            r7 = a7.fma(s.mul(sw[base[7] + j]), r7);
            if (mw != null) {
                FloatVector n = FloatVector.fromArray(F, asum, run * tp + g);
                r0 = n.fma(s.mul(mw[base[0] + j]), r0);
                r1 = n.fma(s.mul(mw[base[1] + j]), r1);
                r2 = n.fma(s.mul(mw[base[2] + j]), r2);
                r3 = n.fma(s.mul(mw[base[3] + j]), r3);
                r4 = n.fma(s.mul(mw[base[4] + j]), r4);
                r5 = n.fma(s.mul(mw[base[5] + j]), r5);
                r6 = n.fma(s.mul(mw[base[6] + j]), r6);
                r7 = n.fma(s.mul(mw[base[7] + j]), r7);
            }
            c0 = end;
        }
        r0.intoArray(out, 0);
        r1.intoArray(out, L);
        r2.intoArray(out, 2 * L);
        r3.intoArray(out, 3 * L);
        r4.intoArray(out, 4 * L);
        r5.intoArray(out, 5 * L);
        r6.intoArray(out, 6 * L);
        r7.intoArray(out, 7 * L);
    }

    /** {@link #int8Tile} for a short last group: {@link #FH}, LH lanes; the same arithmetic lane for lane. */
    private static void int8TileHalf(
            float[] w,
            int[] off,
            float[] xt,
            int tp,
            int g,
            int cols,
            int be,
            int ba,
            float[] sa,
            float[] sw,
            float[] mw,
            float[] asum,
            int[] base,
            float[] out) {
        int xb = g * cols;
        int o0 = off[0];
        int o1 = off[1];
        int o2 = off[2];
        int o3 = off[3];
        int o4 = off[4];
        int o5 = off[5];
        int o6 = off[6];
        int o7 = off[7];
        FloatVector r0 = FloatVector.zero(FH);
        FloatVector r1 = FloatVector.zero(FH);
        FloatVector r2 = FloatVector.zero(FH);
        FloatVector r3 = FloatVector.zero(FH);
        FloatVector r4 = FloatVector.zero(FH);
        FloatVector r5 = FloatVector.zero(FH);
        FloatVector r6 = FloatVector.zero(FH);
        FloatVector r7 = FloatVector.zero(FH);
        for (int c0 = 0, run = 0; c0 < cols; run++) {
            int j = c0 / be;
            int ab = c0 / ba;
            int end = Math.min(Math.min((j + 1) * be, (ab + 1) * ba), cols);
            FloatVector s = FloatVector.fromArray(FH, sa, ab * tp + g);
            FloatVector a0 = FloatVector.zero(FH);
            FloatVector a1 = FloatVector.zero(FH);
            FloatVector a2 = FloatVector.zero(FH);
            FloatVector a3 = FloatVector.zero(FH);
            FloatVector a4 = FloatVector.zero(FH);
            FloatVector a5 = FloatVector.zero(FH);
            FloatVector a6 = FloatVector.zero(FH);
            FloatVector a7 = FloatVector.zero(FH);
            for (int c = c0; c < end; c++) {
                FloatVector x = FloatVector.fromArray(FH, xt, xb + c * LH);
                a0 = FloatVector.broadcast(FH, w[o0 + c]).fma(x, a0);
                a1 = FloatVector.broadcast(FH, w[o1 + c]).fma(x, a1);
                a2 = FloatVector.broadcast(FH, w[o2 + c]).fma(x, a2);
                a3 = FloatVector.broadcast(FH, w[o3 + c]).fma(x, a3);
                a4 = FloatVector.broadcast(FH, w[o4 + c]).fma(x, a4);
                a5 = FloatVector.broadcast(FH, w[o5 + c]).fma(x, a5);
                a6 = FloatVector.broadcast(FH, w[o6 + c]).fma(x, a6);
                a7 = FloatVector.broadcast(FH, w[o7 + c]).fma(x, a7);
            }
            r0 = a0.fma(s.mul(sw[base[0] + j]), r0);
            r1 = a1.fma(s.mul(sw[base[1] + j]), r1);
            r2 = a2.fma(s.mul(sw[base[2] + j]), r2);
            r3 = a3.fma(s.mul(sw[base[3] + j]), r3);
            r4 = a4.fma(s.mul(sw[base[4] + j]), r4);
            r5 = a5.fma(s.mul(sw[base[5] + j]), r5);
            r6 = a6.fma(s.mul(sw[base[6] + j]), r6);
            r7 = a7.fma(s.mul(sw[base[7] + j]), r7);
            if (mw != null) {
                FloatVector n = FloatVector.fromArray(FH, asum, run * tp + g);
                r0 = n.fma(s.mul(mw[base[0] + j]), r0);
                r1 = n.fma(s.mul(mw[base[1] + j]), r1);
                r2 = n.fma(s.mul(mw[base[2] + j]), r2);
                r3 = n.fma(s.mul(mw[base[3] + j]), r3);
                r4 = n.fma(s.mul(mw[base[4] + j]), r4);
                r5 = n.fma(s.mul(mw[base[5] + j]), r5);
                r6 = n.fma(s.mul(mw[base[6] + j]), r6);
                r7 = n.fma(s.mul(mw[base[7] + j]), r7);
            }
            c0 = end;
        }
        r0.intoArray(out, 0);
        r1.intoArray(out, LH);
        r2.intoArray(out, 2 * LH);
        r3.intoArray(out, 3 * LH);
        r4.intoArray(out, 4 * LH);
        r5.intoArray(out, 5 * LH);
        r6.intoArray(out, 6 * LH);
        r7.intoArray(out, 7 * LH);
    }

    /** Where column c goes in nibble order: per run of 2L, the even columns first, then the odd ones. */
    private static int nibblePosition(int c) {
        int g = c - c % (2 * L);
        int i = c - g;
        return g + (i >> 1) + ((i & 1) == 0 ? 0 : L);
    }

    /** A run longer than {@code exact}: exact chunks, their sums added in int32, then one conversion. */
    private static void longRun(
            float[] wf, int[] off, float[] at, int xb, int c0, int end, int exact, float[] d, int[] sums) {
        java.util.Arrays.fill(sums, 0);
        for (int s = c0; s < end; s += exact) {
            chain(wf, off, at, xb, s, Math.min(s + exact, end), d);
            for (int k = 0; k < R; k++) {
                IntVector part = (IntVector) FloatVector.fromArray(F, d, k * L).convert(VectorOperators.F2I, 0);
                IntVector.fromArray(I, sums, k * L).add(part).intoArray(sums, k * L);
            }
        }
        for (int k = 0; k < R; k++) {
            ((FloatVector) IntVector.fromArray(I, sums, k * L).convert(VectorOperators.I2F, 0)).intoArray(d, k * L);
        }
    }

    /**
     * Row {@code r}'s integer codes as floats into {@code dst[d0 ..]}, in nibble order if asked: signed, or raw
     * unsigned for affine weights.
     */
    private static void codeRow(
            byte[] codes, int bits, boolean unsigned, boolean nibbles, int r, int cols, float[] dst, int d0) {
        int i0 = r * cols;
        int c = 0;
        if (unsigned) {
            unsignedCodeRow(codes, bits, nibbles, i0, cols, dst, d0);
            return;
        }
        if (bits == 8) {
            for (; c + L <= cols; c += L) {
                codesAsFloats(codes, i0 + c).intoArray(dst, d0 + c);
            }
        } else if (nibbles) {
            for (; c < cols; c += 2 * L) {
                ByteVector b = BL_EXACT
                        ? ByteVector.fromArray(BL, codes, (i0 + c) >> 1)
                        : ByteVector.fromArray(BL, codes, (i0 + c) >> 1, BL_MASK);
                IntVector v = (IntVector) b.convertShape(VectorOperators.B2I, I, 0);
                IntVector lo = v.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28);
                IntVector hi = v.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 28);
                ((FloatVector) lo.convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + c);
                ((FloatVector) hi.convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + c + L);
            }
        }
        for (; c < cols; c++) {
            dst[d0 + c] = Packing.getSigned(codes, i0 + c, bits);
        }
    }

    /** {@link #codeRow} for affine weights: the raw unsigned codes 0 .. 2^bits - 1 (as {@code Packing.getRaw}). */
    private static void unsignedCodeRow(
            byte[] codes, int bits, boolean nibbles, int i0, int cols, float[] dst, int d0) {
        int c = 0;
        if (bits == 8) {
            for (; c + L <= cols; c += L) {
                ByteVector b = BL_EXACT
                        ? ByteVector.fromArray(BL, codes, i0 + c)
                        : ByteVector.fromArray(BL, codes, i0 + c, BL_MASK);
                IntVector v = ((IntVector) b.convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
                ((FloatVector) v.convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + c);
            }
        } else if (nibbles) {
            for (; c < cols; c += 2 * L) {
                ByteVector b = BL_EXACT
                        ? ByteVector.fromArray(BL, codes, (i0 + c) >> 1)
                        : ByteVector.fromArray(BL, codes, (i0 + c) >> 1, BL_MASK);
                IntVector v = (IntVector) b.convertShape(VectorOperators.B2I, I, 0);
                IntVector lo = v.and(0xF);
                IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(0xF);
                ((FloatVector) lo.convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + c);
                ((FloatVector) hi.convert(VectorOperators.I2F, 0)).intoArray(dst, d0 + c + L);
            }
        }
        for (; c < cols; c++) {
            dst[d0 + c] = Packing.getRaw(codes, i0 + c, bits);
        }
    }

    /**
     * The exact sums {@code A} of the activation codes over each run (the runs in column order, as the tiles
     * walk them), transposed like the scales: {@code [runs, tp]}, token t of run k at {@code k * tp + t}. Exact
     * as floats: {@code |A| <= 127 * cols < 2^24} for the columns an affine product accepts.
     */
    private static float[] activationRunSums(byte[] qa, int tokens, int cols, int be, int ba, int tp) {
        int runs = 0;
        for (int c0 = 0; c0 < cols; runs++) {
            c0 = Math.min(Math.min((c0 / be + 1) * be, (c0 / ba + 1) * ba), cols);
        }
        float[] sums = new float[runs * tp];
        for (int t = 0; t < tokens; t++) {
            for (int c0 = 0, run = 0; c0 < cols; run++) {
                int end = Math.min(Math.min((c0 / be + 1) * be, (c0 / ba + 1) * ba), cols);
                int sum = 0;
                for (int c = c0; c < end; c++) {
                    sum += qa[t * cols + c];
                }
                sums[run * tp + t] = sum;
                c0 = end;
            }
        }
        return sums;
    }

    /**
     * The register tile: for each of R weight rows (at {@code w[off[k] + c]}), the lane-wise chain
     * {@code acc = fma(w, x, acc)} over columns {@code [c0, c1)} from +0, for the L tokens of the group
     * whose transposed activations start at {@code xt[xb]}; the R results go to {@code acc[k * L ..]}.
     */
    private static void chain(float[] w, int[] off, float[] xt, int xb, int c0, int c1, float[] acc) {
        int o0 = off[0];
        int o1 = off[1];
        int o2 = off[2];
        int o3 = off[3];
        int o4 = off[4];
        int o5 = off[5];
        int o6 = off[6];
        int o7 = off[7];
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector a4 = FloatVector.zero(F);
        FloatVector a5 = FloatVector.zero(F);
        FloatVector a6 = FloatVector.zero(F);
        FloatVector a7 = FloatVector.zero(F);
        for (int c = c0; c < c1; c++) {
            FloatVector x = FloatVector.fromArray(F, xt, xb + c * L);
            a0 = FloatVector.broadcast(F, w[o0 + c]).fma(x, a0);
            a1 = FloatVector.broadcast(F, w[o1 + c]).fma(x, a1);
            a2 = FloatVector.broadcast(F, w[o2 + c]).fma(x, a2);
            a3 = FloatVector.broadcast(F, w[o3 + c]).fma(x, a3);
            a4 = FloatVector.broadcast(F, w[o4 + c]).fma(x, a4);
            a5 = FloatVector.broadcast(F, w[o5 + c]).fma(x, a5);
            a6 = FloatVector.broadcast(F, w[o6 + c]).fma(x, a6);
            a7 = FloatVector.broadcast(F, w[o7 + c]).fma(x, a7);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
        a4.intoArray(acc, 4 * L);
        a5.intoArray(acc, 5 * L);
        a6.intoArray(acc, 6 * L);
        a7.intoArray(acc, 7 * L);
    }

    /**
     * {@link #chain} over all columns for a short last group: {@link #FH}, LH lanes, results at {@code acc[k * LH ..]}.
     * A copy rather than a species parameter: the Vector API compiles to vector instructions only where the
     * species is a constant, and this method is too large for C2 to inline into two call sites.
     */
    private static void chainHalf(float[] w, int[] off, float[] xt, int xb, int cols, float[] acc) {
        int o0 = off[0];
        int o1 = off[1];
        int o2 = off[2];
        int o3 = off[3];
        int o4 = off[4];
        int o5 = off[5];
        int o6 = off[6];
        int o7 = off[7];
        FloatVector a0 = FloatVector.zero(FH);
        FloatVector a1 = FloatVector.zero(FH);
        FloatVector a2 = FloatVector.zero(FH);
        FloatVector a3 = FloatVector.zero(FH);
        FloatVector a4 = FloatVector.zero(FH);
        FloatVector a5 = FloatVector.zero(FH);
        FloatVector a6 = FloatVector.zero(FH);
        FloatVector a7 = FloatVector.zero(FH);
        for (int c = 0; c < cols; c++) {
            FloatVector x = FloatVector.fromArray(FH, xt, xb + c * LH);
            a0 = FloatVector.broadcast(FH, w[o0 + c]).fma(x, a0);
            a1 = FloatVector.broadcast(FH, w[o1 + c]).fma(x, a1);
            a2 = FloatVector.broadcast(FH, w[o2 + c]).fma(x, a2);
            a3 = FloatVector.broadcast(FH, w[o3 + c]).fma(x, a3);
            a4 = FloatVector.broadcast(FH, w[o4 + c]).fma(x, a4);
            a5 = FloatVector.broadcast(FH, w[o5 + c]).fma(x, a5);
            a6 = FloatVector.broadcast(FH, w[o6 + c]).fma(x, a6);
            a7 = FloatVector.broadcast(FH, w[o7 + c]).fma(x, a7);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, LH);
        a2.intoArray(acc, 2 * LH);
        a3.intoArray(acc, 3 * LH);
        a4.intoArray(acc, 4 * LH);
        a5.intoArray(acc, 5 * LH);
        a6.intoArray(acc, 6 * LH);
        a7.intoArray(acc, 7 * LH);
    }

    /**
     * Writes the first m rows of a tile's results ({@code lanes} per row in {@code acc}) for the real tokens of
     * group g into {@code out [tokens, rows]}.
     */
    private static void scatter(float[] acc, int lanes, int m, float[] out, int rows, int r, int g, int tokens) {
        int n = Math.min(lanes, tokens - g);
        for (int k = 0; k < m; k++) {
            for (int l = 0; l < n; l++) {
                out[(g + l) * rows + r + k] = acc[k * lanes + l];
            }
        }
    }
}
