package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.tensor.FloatTensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUF through the command line: convert both ways, quantize to GGUF, inspect, refusals. */
class GgufCliTest {
    @TempDir
    Path dir;

    Path floats() throws Exception {
        Random r = new Random(5);
        float[] a = new float[4 * 64];
        float[] b = new float[3 * 32];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        Path f = dir.resolve("model.safetensors");
        SafetensorsWriter.write(
                f,
                Map.of("note", "x"),
                List.of(
                        TensorSpec.floats("a.weight", FloatTensor.of(a, 4, 64), Dtype.F32),
                        TensorSpec.floats("b.weight", FloatTensor.of(b, 3, 32), Dtype.F16)));
        return f;
    }

    @Test
    void quantizeWritesGgufWithGgmlNamesAndConvertRoundTripsTheCodesBitForBit() throws Exception {
        Path in = floats();
        Path gguf = dir.resolve("q.gguf");
        CliTest.succeeded(CliTest.quantize(in, gguf, "q4_0", "--rule", "b.*=q8_0", "--progress", "never"));
        try (GgufReader g = GgufReader.open(gguf)) {
            assertEquals(GgmlType.Q4_0, g.tensor("a.weight").type());
            assertEquals(GgmlType.Q8_0, g.tensor("b.weight").type());
            assertEquals("x", g.metadata().get("note").asString());
        }
        Path st = dir.resolve("q.safetensors");
        assertEquals(
                0, CliTest.run("convert", gguf.toString(), st.toString(), "-q").code());
        Path back = dir.resolve("back.gguf");
        assertEquals(
                0, CliTest.run("convert", st.toString(), back.toString(), "-q").code());
        try (GgufReader a = GgufReader.open(gguf);
                GgufReader b = GgufReader.open(back);
                SafetensorsReader s = SafetensorsReader.open(st)) {
            assertEquals(
                    "q4f:block32:f16:u32",
                    ((QuantizedInfo) s.entry("a.weight")).scheme().toString());
            for (GgufReader.TensorInfo t : a.tensors()) {
                assertArrayEquals(
                        a.data(t).toArray(ValueLayout.JAVA_BYTE),
                        b.data(b.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE),
                        t.name());
            }
        }
        CliTest.Result inspect = CliTest.run("inspect", gguf.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(
                inspect.out().contains("q4_0") && inspect.out().contains("general.quantization_version (UINT32) = 2"),
                inspect.out());
    }

    @Test
    void aSchemeWithNoGgmlTwinIsRefusedForGgufOutputAndNothingIsWritten() throws Exception {
        Path in = floats();
        Path gguf = dir.resolve("q.gguf");
        CliTest.Result r = CliTest.quantize(in, gguf, "q4s:block32:f32");
        assertEquals(2, r.code());
        assertTrue(
                r.errorLine().contains("no ggml twin") && r.errorLine().contains("q8s:block32:f16 (Q8_0)"),
                r.errorLine());
        assertFalse(Files.exists(gguf));
    }

    @Test
    void aKQuantRecipeWritesGgmlsOwnBlocksForGgufAndIsRefusedForSafetensors() throws Exception {
        Random random = new Random(9);
        float[] down = new float[4 * 512];
        float[] q = new float[4 * 384];
        float[] norm = new float[512];
        for (float[] a : List.of(down, q, norm)) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextGaussian();
            }
        }
        Path in = dir.resolve("k.safetensors");
        SafetensorsWriter.write(
                in,
                Map.of(),
                List.of(
                        TensorSpec.floats("blk.0.ffn_down.weight", FloatTensor.of(down, 4, 512), Dtype.F32),
                        TensorSpec.floats("blk.0.attn_q.weight", FloatTensor.of(q, 4, 384), Dtype.F32),
                        TensorSpec.floats("blk.0.attn_norm.weight", FloatTensor.of(norm, 512), Dtype.F32)));
        Path gguf = dir.resolve("k.gguf");
        CliTest.Result r =
                CliTest.run("quantize", in.toString(), gguf.toString(), "--scheme", "q4_k_m", "--progress", "never");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("q4_k_m: q6_k 1, q5_0 1, as is 1"), r.err());
        try (GgufReader g = GgufReader.open(gguf)) {
            // One layer: use_more_bits(0, 1) holds, so ffn_down is Q6_K; rows of 384 fall back to Q5_0.
            GgufReader.TensorInfo d = g.tensor("blk.0.ffn_down.weight");
            assertEquals(GgmlType.Q6_K, d.type());
            assertArrayEquals(
                    dev.quant4j.io.gguf.GgmlQuants.quantize(GgmlType.Q6_K, down),
                    g.data(d).toArray(ValueLayout.JAVA_BYTE));
            GgufReader.TensorInfo a = g.tensor("blk.0.attn_q.weight");
            assertEquals(GgmlType.Q5_0, a.type());
            assertArrayEquals(
                    dev.quant4j.io.gguf.GgmlQuants.quantize(GgmlType.Q5_0, q),
                    g.data(a).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(GgmlType.F32, g.tensor("blk.0.attn_norm.weight").type());
        }
        Path st = dir.resolve("k-out.safetensors");
        r = CliTest.run("quantize", in.toString(), st.toString(), "--scheme", "q4_k");
        assertEquals(2, r.code());
        assertTrue(
                r.errorLine().contains("q4_k is a ggml K-quant")
                        && r.errorLine().contains("write a .gguf file")
                        && r.errorLine().contains("q8_0 = q8s:block32:f16"),
                r.errorLine());
        assertFalse(Files.exists(st));
        r = CliTest.run("quantize", in.toString(), gguf.toString(), "--scheme", "q8_0", "--rule", "*=q6_k");
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("'q6_k' is a ggml K-quant"), r.errorLine());
    }

    @Test
    void ggufBlockTypesWithoutAnExactSchemeBecomeFloatsWithANote() throws Exception {
        Path gguf = dir.resolve("q41.gguf");
        byte[] block = new byte[20];
        block[1] = (byte) 0xBC; // d = -1: a Q4_1 block our affine scales (non-negative) cannot hold
        block[3] = 0x4B; // m = 14
        for (int j = 0; j < 16; j++) {
            block[4 + j] = (byte) ((15 - j) | j << 4);
        }
        GgufWriter.write(
                gguf,
                Map.of("k", GgufValue.uint32(3)),
                List.of(new GgufWriter.Tensor("t", new long[] {32}, GgmlType.Q4_1, sink -> sink.write(block))));
        Path st = dir.resolve("q41.safetensors");
        CliTest.Result r = CliTest.run("convert", gguf.toString(), st.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("dequantized to F32") && r.err().contains("q4_1"), r.err());
        try (SafetensorsReader s = SafetensorsReader.open(st)) {
            float[] x = s.readFloatTensor("t").data();
            assertEquals(-1f, x[0]);
            assertEquals(14f, x[16]);
            assertEquals("3", s.userMetadata().get("k"));
        }
    }

    @Test
    void aMalformedGgufIsBadInputWithTheOffset() throws Exception {
        Path gguf = dir.resolve("bad.gguf");
        Files.write(
                gguf,
                new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0});
        CliTest.Result r = CliTest.run("inspect", gguf.toString());
        assertEquals(2, r.code());
        assertTrue(r.errorLine().contains("byte offset 8") && r.errorLine().contains("tensor count"), r.errorLine());
    }
}
