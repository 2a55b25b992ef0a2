package dev.quant4j.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * K-quant blocks packed here from chosen sub-block scales, mins and codes, following the layouts of
 * ggml-common.h in the packing direction (the dequantizer reads them the other way), then dequantized:
 * every element must be the value its parts say, in the float operations ggml uses.
 */
class KQuantBlocksTest {
    private static final Random RANDOM = new Random(0x4B);

    @Test
    void q4kAndQ5kScalesMinsAndNibblesLandWhereTheLayoutSays() {
        for (boolean five : new boolean[] {false, true}) {
            for (int trial = 0; trial < 20; trial++) {
                int[] sc = new int[8];
                int[] m = new int[8];
                int[] q = new int[256];
                for (int j = 0; j < 8; j++) {
                    sc[j] = RANDOM.nextInt(64);
                    m[j] = RANDOM.nextInt(64);
                }
                for (int i = 0; i < 256; i++) {
                    q[i] = RANDOM.nextInt(five ? 32 : 16);
                }
                float d = Float.float16ToFloat(Float.floatToFloat16(RANDOM.nextFloat() * 0.01f));
                float dmin = Float.float16ToFloat(Float.floatToFloat16(RANDOM.nextFloat() * 0.01f));
                byte[] b = new byte[five ? 176 : 144];
                put16(b, 0, d);
                put16(b, 2, dmin);
                for (int j = 0; j < 4; j++) {
                    b[4 + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
                    b[4 + j + 4] = (byte) (m[j] | (m[j + 4] >> 4) << 6);
                    b[4 + j + 8] = (byte) ((sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4);
                }
                int qs = five ? 48 : 16;
                for (int c = 0; c < 4; c++) {
                    for (int l = 0; l < 32; l++) {
                        int lo = q[64 * c + l];
                        int hi = q[64 * c + 32 + l];
                        b[qs + 32 * c + l] = (byte) ((lo & 0xF) | (hi & 0xF) << 4);
                        if (five) {
                            // qh[l]: bit 2c is bit 4 of element 64c + l, bit 2c + 1 that of 64c + 32 + l.
                            b[16 + l] |= (byte) ((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
                        }
                    }
                }
                float[] out = new float[256];
                GgmlBlocks.dequantize(MemorySegment.ofArray(b), five ? GgmlType.Q5_K : GgmlType.Q4_K, out);
                for (int i = 0; i < 256; i++) {
                    int s = i / 32;
                    float expected = d * sc[s] * q[i] - dmin * m[s];
                    assertEquals(expected, out[i], (five ? "q5_k" : "q4_k") + " element " + i);
                }
            }
        }
    }

    @Test
    void q6kCodesAndSignedScalesLandWhereTheLayoutSays() {
        for (int trial = 0; trial < 20; trial++) {
            int[] q = new int[256];
            int[] sc = new int[16];
            for (int i = 0; i < 256; i++) {
                q[i] = RANDOM.nextInt(64);
            }
            for (int j = 0; j < 16; j++) {
                sc[j] = RANDOM.nextInt(256) - 128;
            }
            float d = Float.float16ToFloat(Float.floatToFloat16(RANDOM.nextFloat() * 0.01f));
            byte[] b = new byte[210];
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int[] e = {q[128 * h + l], q[128 * h + l + 32], q[128 * h + l + 64], q[128 * h + l + 96]};
                    b[64 * h + l] = (byte) ((e[0] & 0xF) | (e[2] & 0xF) << 4);
                    b[64 * h + l + 32] = (byte) ((e[1] & 0xF) | (e[3] & 0xF) << 4);
                    b[128 + 32 * h + l] = (byte) (e[0] >> 4 | (e[1] >> 4) << 2 | (e[2] >> 4) << 4 | (e[3] >> 4) << 6);
                }
            }
            for (int j = 0; j < 16; j++) {
                b[192 + j] = (byte) sc[j];
            }
            put16(b, 208, d);
            float[] out = new float[256];
            GgmlBlocks.dequantize(MemorySegment.ofArray(b), GgmlType.Q6_K, out);
            for (int i = 0; i < 256; i++) {
                // Element i is in 16-element sub-block i / 16, each with its own scale.
                float expected = d * sc[i / 16] * (q[i] - 32);
                assertEquals(expected, out[i], "q6_k element " + i);
            }
        }
    }

    @Test
    void q8kIsAFloatScaleTimesInt8Codes() {
        byte[] b = new byte[292];
        int bits = Float.floatToRawIntBits(0.125f);
        for (int k = 0; k < 4; k++) {
            b[k] = (byte) (bits >>> 8 * k);
        }
        for (int i = 0; i < 256; i++) {
            b[4 + i] = (byte) (i - 128);
        }
        float[] out = new float[256];
        GgmlBlocks.dequantize(MemorySegment.ofArray(b), GgmlType.Q8_K, out);
        for (int i = 0; i < 256; i++) {
            assertEquals(0.125f * (i - 128), out[i]);
        }
    }

    private static void put16(byte[] b, int o, float v) {
        short h = Float.floatToFloat16(v);
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >>> 8);
    }
}
