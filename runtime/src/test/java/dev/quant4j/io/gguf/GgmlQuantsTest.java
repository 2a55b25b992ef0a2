package dev.quant4j.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * quant4j's ggml quantizers: the same bytes as ggml's own reference quantizers on the inputs of
 * {@code resources/.../ggml-quants} (written by ggml's library, see its README), files that our reader
 * reads back as ggml would, their errors in the order of their bits, and the recipes' choices.
 */
class GgmlQuantsTest {
    private static final GgmlType[] WRITTEN = {GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q8_0};

    @TempDir
    Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GgmlQuantsTest.class.getResourceAsStream("ggml-quants/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource ggml-quants/" + name);
            }
            return in.readAllBytes();
        }
    }

    @Test
    void theBytesAreGgmlsOwnOnInputsGgmlQuantized() throws IOException {
        byte[] raw = resource("input.f32");
        float[] x = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        assertEquals(24 * 256, x.length);
        for (GgmlType t : WRITTEN) {
            byte[] ggml = resource(t.ggmlName() + ".bin");
            byte[] ours = GgmlQuants.quantize(t, x);
            assertEquals(ggml.length, ours.length, t.ggmlName());
            for (int b = 0; b < ours.length / t.typeSize(); b++) {
                int from = b * t.typeSize();
                assertArrayEquals(
                        Arrays.copyOfRange(ggml, from, from + t.typeSize()),
                        Arrays.copyOfRange(ours, from, from + t.typeSize()),
                        t.ggmlName() + " block " + b);
            }
        }
    }

    @Test
    void theReaderDequantizesGgmlsBlocksToGgmlsOwnFloats() throws IOException {
        for (GgmlType t : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0}) {
            byte[] raw = resource(t.ggmlName() + ".f32");
            float[] ggml = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(ggml);
            float[] ours = new float[ggml.length];
            GgmlBlocks.dequantize(MemorySegment.ofArray(resource(t.ggmlName() + ".bin")), t, ours);
            for (int i = 0; i < ours.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(ggml[i]),
                        Float.floatToRawIntBits(ours[i]),
                        t.ggmlName() + " element " + i);
            }
        }
    }

    @Test
    void writtenFilesReadBackAsTheirBlocksDequantizedWithErrorsInTheOrderOfTheirBits() throws IOException {
        FloatTensor w = GgufRoundTripTest.randomTensor(42, 64, 512);
        List<GgufWriter.Tensor> tensors = new ArrayList<>();
        for (GgmlType t : WRITTEN) {
            tensors.add(GgufWriter.Tensor.quantize(t.ggmlName(), w.shape(), t, w::data));
        }
        Path f = dir.resolve("k.gguf");
        GgufWriter.write(f, Map.of(), tensors);
        double[] rel = new double[WRITTEN.length];
        try (GgufReader r = GgufReader.open(f)) {
            for (int k = 0; k < WRITTEN.length; k++) {
                GgmlType t = WRITTEN[k];
                GgufReader.TensorInfo info = r.tensor(t.ggmlName());
                assertEquals(t, info.type());
                assertArrayEquals(new long[] {512, 64}, info.ne());
                float[] back = r.readFloatTensor(info).data();
                float[] direct = new float[w.size()];
                GgmlBlocks.dequantize(MemorySegment.ofArray(GgmlQuants.quantize(t, w.data())), t, direct);
                assertArrayEquals(direct, back, t.ggmlName());
                double e = 0;
                double n = 0;
                for (int i = 0; i < back.length; i++) {
                    double d = back[i] - w.data()[i];
                    e += d * d;
                    n += (double) w.data()[i] * w.data()[i];
                }
                rel[k] = Math.sqrt(e / n);
            }
        }
        // Gaussian weights with outliers: 8.5 bits (Q8_0) < 6.56 (Q6_K) < 5.5 (Q5_0) < 4.5 (Q4_K) in error.
        assertTrue(rel[3] < rel[1] && rel[1] < rel[2] && rel[2] < rel[0], Arrays.toString(rel));
        assertTrue(rel[0] < 0.12 && rel[3] < 0.01, Arrays.toString(rel));
    }

    @Test
    void zerosComeBackExactlyAndConstantsWithinTheF16Scale() {
        for (GgmlType t : WRITTEN) {
            float[] zeros = new float[512];
            float[] back = new float[512];
            GgmlBlocks.dequantize(MemorySegment.ofArray(GgmlQuants.quantize(t, zeros)), t, back);
            for (float v : back) {
                assertEquals(0f, v, 0f, t.ggmlName());
            }
        }
        // A constant positive block: Q4_K's fit clamps the min to 0 and puts every value at code 15, so
        // it comes back within the f16 rounding of its super-block scale d.
        float[] c = new float[256];
        Arrays.fill(c, 0.9375f);
        float[] back = new float[256];
        GgmlBlocks.dequantize(MemorySegment.ofArray(GgmlQuants.quantize(GgmlType.Q4_K, c)), GgmlType.Q4_K, back);
        for (float v : back) {
            assertEquals(0.9375f, v, 1e-3f);
        }
    }

    @Test
    void q5_0BlocksReadTheirFifthBitsFromQh() {
        Random random = new Random(5);
        int[] q = new int[32];
        byte[] b = new byte[22];
        float d = Float.float16ToFloat(Float.floatToFloat16(-0.037f));
        short bits = Float.floatToFloat16(d);
        b[0] = (byte) bits;
        b[1] = (byte) (bits >> 8);
        int qh = 0;
        for (int j = 0; j < 32; j++) {
            q[j] = random.nextInt(32);
            qh |= (q[j] >> 4) << j; // bit j: the fifth bit of element j
        }
        for (int j = 0; j < 16; j++) {
            b[6 + j] = (byte) ((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
        }
        for (int i = 0; i < 4; i++) {
            b[2 + i] = (byte) (qh >>> (8 * i));
        }
        float[] out = new float[32];
        GgmlBlocks.dequantize(MemorySegment.ofArray(b), GgmlType.Q5_0, out);
        for (int j = 0; j < 32; j++) {
            assertEquals((q[j] - 16) * d, out[j], "element " + j);
        }
    }

    @Test
    void nearestIntRoundsHalfToEvenAsGgml() {
        float[] in = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.49f, -3.51f, 0f, 4194303f};
        int[] expected = {0, 2, 2, 0, -2, -2, 3, -4, 0, 4194303};
        for (int i = 0; i < in.length; i++) {
            assertEquals(expected[i], GgmlQuants.nearestInt(in[i]), "nearest_int(" + in[i] + ")");
        }
    }

    @Test
    void q8_0ActivationsKeepTheF16ScaleAndCodeWithTheFloat32Factor() {
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) {
            x[i] = i - 16; // amax 16: factor 127 / 16 = 7.9375, exact
        }
        x[32] = 1f; // amax 1: d = 1 / 127, which f16 does not hold exactly
        x[33] = 0.5f; // 63.5: half to even gives 64
        x[34] = -1f;
        byte[] codes = new byte[64];
        float[] scales = new float[2];
        GgmlQuants.q8_0Activations(x, 0, 64, codes, scales, 0);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(16f / 127)), scales[0]);
        for (int i = 0; i < 32; i++) {
            assertEquals((int) Math.rint((i - 16) * 7.9375f), codes[i], "code " + i);
        }
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1f / 127)), scales[1]);
        assertTrue(scales[1] != 1f / 127, "the scale is the f16 one");
        assertEquals(127, codes[32]);
        assertEquals(64, codes[33]);
        assertEquals(-127, codes[34]);
        assertEquals(0, codes[35]);
        assertThrows(IllegalArgumentException.class, () -> GgmlQuants.q8_0Activations(x, 0, 40, codes, scales, 0));
    }

    @Test
    void q8_KActivationsScaleBy127OverTheSignedMax() {
        float[] x = new float[512];
        for (int i = 0; i < 256; i++) {
            x[i] = (i % 17) - 4f; // max 12 (positive): factor -127 / 12, scale -12 / 127
        }
        byte[] codes = new byte[512];
        float[] scales = new float[2];
        GgmlQuants.q8_KActivations(x, 0, 512, codes, scales, 0);
        float factor = -127f / 12f;
        assertEquals(1 / factor, scales[0]);
        for (int i = 0; i < 256; i++) {
            assertEquals(Math.min(127, GgmlQuants.nearestInt(factor * x[i])), codes[i], "code " + i);
            assertEquals(x[i], codes[i] * scales[0], 12f / 127 / 2 + 1e-6f, "value " + i);
        }
        assertEquals(0f, scales[1]);
        assertEquals(0, codes[300]);
    }

    @Test
    void refusesTypesItDoesNotWriteAndRowsThatDoNotFit() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GgmlQuants.quantize(GgmlType.Q4_0, new float[32]));
        assertTrue(e.getMessage().contains("q4_k, q6_k, q5_0 and q8_0"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> GgufWriter.Tensor.quantize(
                        "blk.0.attn_q.weight", new int[] {4, 384}, GgmlType.Q4_K, () -> new float[4 * 384]));
        assertTrue(
                e.getMessage().contains("blk.0.attn_q.weight")
                        && e.getMessage().contains("384")
                        && e.getMessage().contains("256"),
                e.getMessage());
    }

    private static List<GgmlRecipe.Entry> llama(int layers, int hidden) {
        List<GgmlRecipe.Entry> out = new ArrayList<>();
        out.add(new GgmlRecipe.Entry("token_embd.weight", new long[] {32000, hidden}));
        for (int l = 0; l < layers; l++) {
            for (String n : List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_up", "ffn_down")) {
                out.add(new GgmlRecipe.Entry("blk." + l + "." + n + ".weight", new long[] {hidden, hidden}));
            }
            out.add(new GgmlRecipe.Entry("blk." + l + ".attn_norm.weight", new long[] {hidden}));
        }
        out.add(new GgmlRecipe.Entry("output.weight", new long[] {32000, hidden}));
        return out;
    }

    @Test
    void q4KMGivesQ6KWhereLlamaCppDoes() {
        Map<String, GgmlType> plan = GgmlRecipe.Q4_K_M.plan(llama(8, 512));
        assertEquals(GgmlType.Q6_K, plan.get("output.weight"));
        assertEquals(GgmlType.Q4_K, plan.get("token_embd.weight"), "an output matrix exists");
        assertNull(plan.get("blk.0.attn_norm.weight"));
        // use_more_bits(i, 8): i < 1, i >= 7, (i - 1) % 3 == 2.
        List<Integer> more = List.of(0, 3, 6, 7);
        for (int l = 0; l < 8; l++) {
            GgmlType expected = more.contains(l) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(expected, plan.get("blk." + l + ".attn_v.weight"), "attn_v " + l);
            assertEquals(expected, plan.get("blk." + l + ".ffn_down.weight"), "ffn_down " + l);
            assertEquals(GgmlType.Q4_K, plan.get("blk." + l + ".attn_q.weight"));
        }
    }

    @Test
    void rowsThatAreNotMultiplesOf256FallBackAsInLlamaCpp() {
        List<GgmlRecipe.Entry> bert = new ArrayList<>(llama(6, 384));
        bert.removeIf(e -> e.name().equals("output.weight"));
        bert.add(new GgmlRecipe.Entry("position_embd.weight", new long[] {512, 384}));
        bert.add(new GgmlRecipe.Entry("odd.weight", new long[] {4, 100}));
        Map<String, GgmlType> m = GgmlRecipe.Q4_K_M.plan(bert);
        assertEquals(GgmlType.Q8_0, m.get("token_embd.weight"), "the output's place, rows of 384: q8_0");
        assertEquals(GgmlType.Q5_0, m.get("blk.0.attn_q.weight"));
        assertEquals(GgmlType.Q8_0, m.get("blk.2.attn_v.weight"), "q6_k falls back to q8_0");
        assertEquals(GgmlType.Q5_0, m.get("blk.1.attn_v.weight"));
        assertNull(m.get("position_embd.weight"));
        assertNull(m.get("odd.weight"), "rows of 100 fit no block: left as they are");
        Map<String, GgmlType> q6 = GgmlRecipe.Q6_K.plan(
                List.of(new GgmlRecipe.Entry("a", new long[] {2, 512}), new GgmlRecipe.Entry("b", new long[] {2, 96})));
        assertEquals(GgmlType.Q6_K, q6.get("a"));
        assertEquals(GgmlType.Q8_0, q6.get("b"));
        assertEquals(GgmlRecipe.Q4_K_M, GgmlRecipe.named(" Q4_K_M "));
        assertNull(GgmlRecipe.named("q4_0"));
    }
}
