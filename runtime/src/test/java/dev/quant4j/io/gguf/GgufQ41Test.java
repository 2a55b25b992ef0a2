package dev.quant4j.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.FloatBits;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code q4f:block32:f16:affine} and ggml's Q4_1 are the same tensors, both ways, bit for bit. */
class GgufQ41Test {
    private static final QuantScheme Q4_1 = QuantScheme.parse("q4f:block32:f16:affine");

    @TempDir
    Path dir;

    @Test
    void ourAffineTensorIsQ41InAFileAndComesBackTheSame() throws IOException {
        assertEquals(GgmlType.Q4_1, GgmlBlocks.twin(Q4_1, new int[] {4, 64}));
        assertEquals(GgmlType.Q4_0, GgmlBlocks.twin(QuantScheme.parse("q4f:block32:f16"), new int[] {4, 64}));
        assertEquals(Q4_1, GgmlBlocks.schemeOf(GgmlType.Q4_1));
        assertNull(GgmlBlocks.twin(QuantScheme.parse("q8f:block32:f16:affine"), new int[] {4, 64}));
        FloatTensor x = GgufRoundTripTest.randomTensor(11, 3, 5, 64);
        QuantizedTensor q = Kernels.active().quantize("w", x, Q4_1);
        Path f = dir.resolve("q41.gguf");
        GgufWriter.write(f, Map.of(), List.of(GgufWriter.Tensor.quantized("w", q)));
        try (GgufReader r = GgufReader.open(f)) {
            GgufReader.TensorInfo t = r.tensor("w");
            assertEquals(GgmlType.Q4_1, t.type());
            QuantizedTensor back = r.readQuantized(t);
            assertNotNull(back);
            assertEquals(Q4_1, back.scheme());
            assertArrayEquals(q.codes(), back.codes());
            assertArrayEquals(FloatBits.of(q.scales()), FloatBits.of(back.scales()));
            assertArrayEquals(FloatBits.of(q.offsets()), FloatBits.of(back.offsets()));
            // ggml's dequantize_row_q4_1 (q * d + m) gives our fma(q, d, m) exactly.
            assertArrayEquals(
                    FloatBits.of(q.dequantize().data()),
                    FloatBits.of(r.readFloatTensor(t).data()));
        }
    }

    /** ggml's quantize_row_q4_1_ref, written from its description: d = (max - min) / 15, m = min, truncating codes. */
    private static byte[] ggmlQ41(float[] x) {
        byte[] out = new byte[x.length / 32 * 20];
        for (int b = 0; b < x.length / 32; b++) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[32 * b + j]);
                max = Math.max(max, x[32 * b + j]);
            }
            float d = (max - min) / 15f;
            float id = d != 0f ? 1f / d : 0f;
            short hd = Float.floatToFloat16(d);
            short hm = Float.floatToFloat16(min);
            int o = 20 * b;
            out[o] = (byte) hd;
            out[o + 1] = (byte) (hd >>> 8);
            out[o + 2] = (byte) hm;
            out[o + 3] = (byte) (hm >>> 8);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) ((x[32 * b + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (int) ((x[32 * b + j + 16] - min) * id + 0.5f));
                out[o + 4 + j] = (byte) (q0 | q1 << 4);
            }
        }
        return out;
    }

    @Test
    void ggmlsQ41BlocksBecomeOurTensorAndGoBackByteForByte() {
        SplittableRandom r = new SplittableRandom(41);
        float[] x = new float[6 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 0.05 + (i < 64 ? 0 : 0.2));
        }
        for (int j = 128; j < 160; j++) {
            x[j] = 0.375f; // one block of one value: d = 0
        }
        for (int j = 160; j < 192; j++) {
            x[j] = j == 170 ? -0f : 0f; // min -0.0: m = -0.0 in ggml's file
        }
        byte[] blocks = ggmlQ41(x);
        MemorySegment data = MemorySegment.ofArray(blocks);
        int[] shape = {6, 64};
        assertTrue(GgmlBlocks.hasExactTwin(data, GgmlType.Q4_1, 12));
        QuantizedTensor ours = GgmlBlocks.decodeExact(data, GgmlType.Q4_1, shape);
        assertNotNull(ours);
        assertEquals(0f, ours.scales()[4]);
        assertEquals(0x80000000, Float.floatToRawIntBits(ours.offsets()[5]), "ggml's -0.0 offset is kept");
        assertArrayEquals(blocks, GgmlBlocks.encode(ours), "GGUF -> ours -> GGUF is lossless");
        float[] ggml = new float[x.length];
        GgmlBlocks.dequantize(data, GgmlType.Q4_1, ggml);
        assertArrayEquals(FloatBits.of(ggml), FloatBits.of(ours.dequantize().data()));
        float[] ref = new float[x.length];
        Kernels.scalar().dequantize(ours, ref);
        assertArrayEquals(FloatBits.of(ggml), FloatBits.of(ref));
    }

    @Test
    void blocksWithoutAnEquivalentAreReadAsFloats() {
        byte[] blocks = ggmlQ41(new float[32]);
        blocks[1] = (byte) 0xBC; // d = -1.0
        assertFalse(GgmlBlocks.hasExactTwin(MemorySegment.ofArray(blocks), GgmlType.Q4_1, 1));
        assertNull(GgmlBlocks.decodeExact(MemorySegment.ofArray(blocks), GgmlType.Q4_1, new int[] {32}));
        byte[] nan = ggmlQ41(new float[32]);
        nan[2] = 0x00;
        nan[3] = 0x7E; // m = NaN
        assertFalse(GgmlBlocks.hasExactTwin(MemorySegment.ofArray(nan), GgmlType.Q4_1, 1));
    }
}
