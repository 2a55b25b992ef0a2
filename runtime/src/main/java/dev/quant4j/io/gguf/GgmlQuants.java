package dev.quant4j.io.gguf;

/**
 * ggml's own quantizers, for the ggml types that are not our schemes: Q4_K and Q6_K (the K-quants that
 * llama.cpp's mixed recipes use), Q5_0 and Q8_0 as llama.cpp's quantizer writes them (the fallbacks of
 * those recipes for rows that are not a multiple of 256), and the rules by which llama.cpp's x86 CPU
 * backend quantizes activations inside a quantized matrix product (Q8_0 blocks for Q8_0, Q4_0 and Q5_0
 * weights, Q8_K blocks for Q4_K and Q6_K weights).
 *
 * <p>Each follows the reference quantizer of {@code ggml-quants.c} without an importance matrix
 * ({@code quantize_row_q4_K_ref}, {@code quantize_row_q6_K_ref}, {@code quantize_row_q5_0_ref},
 * {@code quantize_row_q8_0_ref}) operation for operation in float32, so that the same input gives the
 * same bytes as ggml's library (which compiles these loops without fused multiply-adds):
 * <ul>
 * <li>Q4_K: per super-block of 256, 8 sub-blocks of 32, each fitted with an asymmetric grid
 *     {@code x ~ s * q - m}, q in [0, 15] ({@link #fitAsymmetric}: weights {@code sqrt(mean x^2) + |x|},
 *     21 candidate grids, a weighted least-squares solve for each, the min clamped to {@code <= 0});
 *     the sub-scales and mins go to 6 bits against the largest of each (f16 {@code d = max / 63},
 *     {@code dmin}), and the codes are re-rounded with the 6-bit values.</li>
 * <li>Q6_K: 16 sub-blocks of 16, each fitted with a symmetric grid q in [-32, 31]
 *     ({@link #fitSymmetric}: weights x^2, 19 candidate scales around {@code -32 / max}); the sub-scales
 *     go to int8 against the largest ({@code d = max / -128}) and the codes are re-rounded.</li>
 * </ul>
 * Rounding is ggml's {@code nearest_int} (half to even, by adding 1.5 * 2^23), except where ggml truncates
 * (Q5_0) or calls {@code roundf} (Q8_0, half away from zero).
 */
public final class GgmlQuants {
    private static final int QK_K = 256;
    private static final int QK = 32;
    /** ggml's GROUP_MAX_EPS: a group whose largest |x| is below this is all zeros. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private GgmlQuants() {}

    /** True for the types {@link #quantize} writes. */
    public static boolean writes(GgmlType type) {
        return type == GgmlType.Q4_K || type == GgmlType.Q6_K || type == GgmlType.Q5_0 || type == GgmlType.Q8_0;
    }

    /**
     * Quantizes {@code x} (whole rows, so a multiple of the type's block) into ggml blocks of {@code type}.
     *
     * @throws IllegalArgumentException for a type this class does not write, or a length that is not a
     *                                  multiple of the block
     */
    public static byte[] quantize(GgmlType type, float[] x) {
        if (!writes(type)) {
            throw new IllegalArgumentException(
                    "quant4j writes ggml type " + type.ggmlName() + " only from our schemes (" + GgmlBlocks.TWINS
                            + "); its own quantizers write q4_k, q6_k, q5_0 and q8_0");
        }
        int block = type.blockSize();
        if (x.length % block != 0) {
            throw new IllegalArgumentException(
                    type.ggmlName() + " blocks hold " + block + " values, and " + x.length + " is not a multiple");
        }
        int blocks = x.length / block;
        byte[] out = new byte[Math.multiplyExact(blocks, type.typeSize())];
        for (int b = 0; b < blocks; b++) {
            int from = b * block;
            int o = b * type.typeSize();
            switch (type) {
                case Q4_K -> q4K(x, from, out, o);
                case Q6_K -> q6K(x, from, out, o);
                case Q5_0 -> q5_0(x, from, out, o);
                default -> q8_0(x, from, out, o);
            }
        }
        return out;
    }

    /** {@code n} activations of {@code type} must fill whole runs of {@code run} values. */
    private static void checkRuns(String type, int n, int run) {
        if (n % run != 0) {
            throw new IllegalArgumentException(
                    type + " activations come in runs of " + run + " values; " + n + " is not a multiple");
        }
    }

    /**
     * llama.cpp's quantization of activations for a Q8_0 / Q4_0 / Q5_0 matrix product on x86 (the AVX
     * {@code quantize_row_q8_0} of its CPU backend): per run of 32 values, {@code amax} the largest |x|,
     * the stored scale {@code d = f16(amax / 127)}, the codes {@code rint(x * (127 / amax))} (half to
     * even) computed with the float32 factor, not the stored scale; an all-zero run gets 0 and 0. The
     * product then multiplies the codes by {@code d}, so a value comes back as {@code q * f16(amax / 127)}.
     *
     * @param x      {@code n} values from {@code from}, {@code n} a multiple of 32
     * @param codes  receives {@code n} codes from {@code from}
     * @param scales receives {@code n / 32} scales (the f16 values, widened) from {@code scaleFrom}
     */
    public static void q8_0Activations(float[] x, int from, int n, byte[] codes, float[] scales, int scaleFrom) {
        checkRuns("Q8_0", n, QK);
        for (int b = 0; b < n / QK; b++) {
            int s = from + b * QK;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                amax = Math.max(amax, Math.abs(x[s + j]));
            }
            scales[scaleFrom + b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            float id = amax != 0f ? 127f / amax : 0f;
            for (int j = 0; j < QK; j++) {
                codes[s + j] = (byte) (int) Math.rint(x[s + j] * id);
            }
        }
    }

    /**
     * llama.cpp's quantization of activations for a Q4_K / Q6_K matrix product ({@code quantize_row_q8_K},
     * the reference loop on every CPU): per run of 256 values, {@code max} the signed value of the largest
     * |x|, the factor {@code -127 / max}, codes {@code min(127, nearest_int(factor * x))} and the float32
     * scale {@code 1 / factor} (negative when {@code max} is positive: the products are the same); an
     * all-zero run gets 0 and 0.
     *
     * @param x      {@code n} values from {@code from}, {@code n} a multiple of 256
     * @param codes  receives {@code n} codes from {@code from}
     * @param scales receives {@code n / 256} scales from {@code scaleFrom}
     */
    public static void q8_KActivations(float[] x, int from, int n, byte[] codes, float[] scales, int scaleFrom) {
        checkRuns("Q8_K", n, QK_K);
        for (int b = 0; b < n / QK_K; b++) {
            int s = from + b * QK_K;
            float max = signedAbsMax(x, s, QK_K);
            float amax = Math.abs(max);
            if (amax == 0f) {
                scales[scaleFrom + b] = 0f;
                java.util.Arrays.fill(codes, s, s + QK_K, (byte) 0);
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < QK_K; j++) {
                codes[s + j] = (byte) Math.min(127, nearestInt(iscale * x[s + j]));
            }
            scales[scaleFrom + b] = 1 / iscale;
        }
    }

    /** The signed value of the first largest |x| in {@code x[from .. from + n)}, 0 when all are 0 (as ggml). */
    private static float signedAbsMax(float[] x, int from, int n) {
        float max = 0f;
        float amax = 0f;
        for (int i = from; i < from + n; i++) {
            float ax = Math.abs(x[i]);
            if (ax > amax) {
                amax = ax;
                max = x[i];
            }
        }
        return max;
    }

    /** ggml's {@code nearest_int}: half to even by adding 1.5 * 2^23 (meant for |v| up to 2^22, as there). */
    static int nearestInt(float v) {
        float t = v + 12582912f;
        return (Float.floatToRawIntBits(t) & 0x007FFFFF) - 0x00400000;
    }

    private static void q4K(float[] x, int from, byte[] out, int o) {
        int[] codes = new int[QK_K];
        int[] aux = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0f;
        float maxMin = 0f;
        for (int j = 0; j < 8; j++) {
            int s = from + 32 * j;
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[s + l] * x[s + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[s + l]);
            }
            float[] minOut = new float[1];
            scales[j] = fitAsymmetric(32, 15, x, s, weights, codes, 32 * j, minOut, aux, -1f, 0.1f, 20);
            mins[j] = minOut[0];
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int sc = o + 4; // scales[12]
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                out[sc + j] = (byte) ls;
                out[sc + j + 4] = (byte) lm;
            } else {
                out[sc + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                out[sc + j - 4] |= (byte) ((ls >> 4) << 6);
                out[sc + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dBits = Float.floatToFloat16(maxScale / 63f);
        short dminBits = Float.floatToFloat16(maxMin / 63f);
        putShort(out, o, dBits);
        putShort(out, o + 2, dminBits);
        float d = Float.float16ToFloat(dBits);
        float dmin = Float.float16ToFloat(dminBits);
        for (int j = 0; j < 8; j++) {
            int s6;
            int m6;
            if (j < 4) {
                s6 = out[sc + j] & 63;
                m6 = out[sc + j + 4] & 63;
            } else {
                s6 = (out[sc + j + 4] & 0xF) | ((out[sc + j - 4] & 0xFF) >> 6) << 4;
                m6 = ((out[sc + j + 4] & 0xFF) >> 4) | ((out[sc + j] & 0xFF) >> 6) << 4;
            }
            float dj = d * s6;
            if (dj == 0f) {
                continue; // the codes of the fit stay
            }
            float dm = dmin * m6;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[from + 32 * j + ii] + dm) / dj);
                codes[32 * j + ii] = Math.max(0, Math.min(15, l));
            }
        }
        int q = o + 16;
        for (int j = 0; j < QK_K; j += 64) {
            for (int l = 0; l < 32; l++) {
                out[q + l] = (byte) (codes[j + l] | codes[j + l + 32] << 4);
            }
            q += 32;
        }
    }

    /**
     * ggml's {@code make_qkx2_quants}: the asymmetric grid {@code x ~ scale * L - min} (L in [0, nmax])
     * with the smallest weighted squared error among {@code nstep + 1} candidates; returns the scale and
     * puts {@code min} (>= 0: the grid's offset is {@code -min}) in {@code minOut[0]}.
     */
    private static float fitAsymmetric(
            int n,
            int nmax,
            float[] x,
            int xf,
            float[] w,
            int[] codes,
            int cf,
            float[] minOut,
            int[] aux,
            float rmin,
            float rdelta,
            int nstep) {
        float min = x[xf];
        float max = x[xf];
        float sumW = w[0];
        float sumX = sumW * x[xf];
        for (int i = 1; i < n; i++) {
            if (x[xf + i] < min) {
                min = x[xf + i];
            }
            if (x[xf + i] > max) {
                max = x[xf + i];
            }
            sumW += w[i];
            sumX += w[i] * x[xf + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                codes[cf + i] = 0;
            }
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0f;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xf + i] - min));
            codes[cf + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * codes[cf + i] + min - x[xf + i];
            bestError += w[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0f;
            float sumL2 = 0f;
            float sumXL = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xf + i] - min))));
                aux[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[xf + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xf + i];
                    error += w[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, codes, cf, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    private static void q6K(float[] x, int from, byte[] out, int o) {
        int[] codes = new int[QK_K];
        float[] scales = new float[16];
        float maxScale = 0f;
        float maxAbsScale = 0f;
        for (int ib = 0; ib < 16; ib++) {
            float scale = fitSymmetric(16, 32, x, from + 16 * ib, codes, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            return; // all zeros, d = +0 (the array is zeroed)
        }
        float iscale = -128f / maxScale;
        short dBits = Float.floatToFloat16(1 / iscale);
        putShort(out, o + 208, dBits);
        int sc = o + 192;
        for (int ib = 0; ib < 16; ib++) {
            out[sc + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        float d16 = Float.float16ToFloat(dBits);
        for (int j = 0; j < 16; j++) {
            float d = d16 * out[sc + j];
            if (d == 0f) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[from + 16 * j + ii] / d);
                codes[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        int ql = o;
        int qh = o + 128;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                int q1 = codes[j + l];
                int q2 = codes[j + l + 32];
                int q3 = codes[j + l + 64];
                int q4 = codes[j + l + 96];
                out[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                out[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                out[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
            ql += 64;
            qh += 32;
        }
    }

    /**
     * ggml's {@code make_qx_quants} with {@code rmse_type} 1 and no importance: the symmetric grid
     * {@code x ~ scale * L} (L in [-nmax, nmax - 1], stored as L + nmax) weighted by x^2, the best of the
     * start {@code -nmax / max} and 18 candidates {@code -(nmax + 0.1 k) / max}; returns the scale (it
     * may be negative: {@code max} is the signed value of the largest |x|).
     */
    private static float fitSymmetric(int n, int nmax, float[] x, int xf, int[] codes, int cf) {
        float max = signedAbsMax(x, xf, n);
        float amax = Math.abs(max);
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                codes[cf + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0f;
        float sumL2 = 0f;
        for (int i = 0; i < n; i++) {
            float v = x[xf + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
            codes[cf + i] = l + nmax;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0f ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0f;
            sumL2 = 0f;
            for (int i = 0; i < n; i++) {
                float v = x[xf + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    codes[cf + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xf + i])));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /** {@code quantize_row_q5_0_ref}: d = max / -16 (max signed), codes truncated from x / d + 16.5. */
    private static void q5_0(float[] x, int from, byte[] out, int o) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < QK; j++) {
            float v = x[from + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0f ? 1.0f / d : 0f;
        putShort(out, o, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int xi0 = Math.min(31, truncToInt8(x[from + j] * id + 16.5f)) & 0xFF;
            int xi1 = Math.min(31, truncToInt8(x[from + j + 16] * id + 16.5f)) & 0xFF;
            out[o + 6 + j] = (byte) ((xi0 & 0xF) | (xi1 & 0xF) << 4);
            qh |= ((xi0 & 0x10) >> 4) << j;
            qh |= ((xi1 & 0x10) >> 4) << (j + 16);
        }
        for (int i = 0; i < 4; i++) {
            out[o + 2 + i] = (byte) (qh >>> (8 * i));
        }
    }

    /** C's {@code (int8_t)} of a float in range: truncation toward zero (the values here are in [0, 33)). */
    private static int truncToInt8(float v) {
        return (byte) (int) v;
    }

    /** {@code quantize_row_q8_0_ref}: d = amax / 127, codes {@code roundf(x * (1 / d))}, half away from zero. */
    private static void q8_0(float[] x, int from, byte[] out, int o) {
        float amax = 0f;
        for (int j = 0; j < QK; j++) {
            amax = Math.max(amax, Math.abs(x[from + j]));
        }
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0f;
        putShort(out, o, Float.floatToFloat16(d));
        for (int j = 0; j < QK; j++) {
            out[o + 2 + j] = (byte) roundHalfAway(x[from + j] * id);
        }
    }

    /** C's {@code roundf}: to nearest, ties away from zero ({@code a - floor(a)} is exact in float32). */
    private static int roundHalfAway(float v) {
        float a = Math.abs(v);
        float f = (float) Math.floor(a);
        return (int) Math.copySign(a - f >= 0.5f ? f + 1 : f, v);
    }

    private static void putShort(byte[] out, int o, short v) {
        out[o] = (byte) v;
        out[o + 1] = (byte) (v >>> 8);
    }
}
