package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufReader;
import dev.quant4j.io.gguf.GgufValue;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** quantize, dequantize and inspect (with --compare and --json) reading GGUF files made here. */
class GgufCommandsTest {
    @TempDir
    Path dir;

    static float[] gaussian(long seed, int n) {
        return ShardedCliTest.values(seed, n);
    }

    /**
     * One Q4_1 block of 32 with no exact scheme: d = -1 (our affine scales are non-negative), m = 14, codes
     * 15 - j and j (values j - 1 and 14 - j).
     */
    static byte[] q41Block() {
        byte[] block = new byte[20];
        block[1] = (byte) 0xBC;
        block[3] = 0x4B;
        for (int j = 0; j < 16; j++) {
            block[4 + j] = (byte) ((15 - j) | j << 4);
        }
        return block;
    }

    /**
     * A GGUF file with llama.cpp-style keys (an array among them) and one tensor of each kind: F32, F16,
     * Q8_0 (our q8s:block32:f16), Q4_1 (no exact scheme), I32.
     */
    Path model() throws Exception {
        Path f = dir.resolve("model.gguf");
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("llama"));
        kv.put("tokenizer.ggml.tokens", GgufValue.strings(List.of("a", "b", "c")));
        kv.put("k", GgufValue.uint32(3));
        QuantizedTensor q8 = new Quantizer(QuantScheme.parse("q8s:block32:f16"))
                .quantize("w.q8", FloatTensor.of(gaussian(3, 128), 2, 64));
        ByteBuffer ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            ids.putInt(10 + i);
        }
        GgufWriter.write(
                f,
                kv,
                List.of(
                        GgufWriter.Tensor.floats("w.f32", FloatTensor.of(gaussian(1, 256), 4, 64), GgmlType.F32),
                        GgufWriter.Tensor.floats("w.f16", FloatTensor.of(gaussian(2, 64), 2, 32), GgmlType.F16),
                        GgufWriter.Tensor.quantized("w.q8", q8),
                        new GgufWriter.Tensor("w.q41", new long[] {32}, GgmlType.Q4_1, sink -> sink.write(q41Block())),
                        new GgufWriter.Tensor("ids", new long[] {4}, GgmlType.I32, sink -> sink.write(ids.array()))));
        return f;
    }

    static byte[] bytes(GgufReader g, String name) {
        return g.data(g.tensor(name)).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void quantizeReadsGgufAndWritesGgufWithItsKeysKept() throws Exception {
        Path in = model();
        Path out = dir.resolve("q.gguf");
        CliTest.Result r =
                CliTest.succeeded(CliTest.quantize(in, out, "q4_0", "--skip", "w.f16", "--progress", "never"));
        assertTrue(r.err().contains("quantized 1 tensors (3 copied, 1 already quantized)"), r.err());
        assertTrue(r.err().contains("dequantized to F32 (no exact quant4j scheme): w.q41 (q4_1)"), r.err());
        assertFalse(r.err().contains("array metadata"), "GGUF to GGUF keeps the arrays: " + r.err());
        try (GgufReader g = GgufReader.open(out);
                GgufReader o = GgufReader.open(in)) {
            assertEquals(GgmlType.Q4_0, g.tensor("w.f32").type());
            assertEquals(GgmlType.F16, g.tensor("w.f16").type());
            assertEquals(GgmlType.Q8_0, g.tensor("w.q8").type());
            assertEquals(GgmlType.F32, g.tensor("w.q41").type());
            assertArrayEquals(bytes(o, "w.q8"), bytes(g, "w.q8"), "Q8_0 kept as it was");
            assertArrayEquals(bytes(o, "ids"), bytes(g, "ids"));
            assertArrayEquals(
                    o.readFloatTensor(o.tensor("w.q41")).data(),
                    g.readFloatTensor(g.tensor("w.q41")).data());
            assertEquals("llama", g.metadata().get("general.architecture").asString());
            assertEquals(
                    GgufValue.Type.ARRAY,
                    g.metadata().get("tokenizer.ggml.tokens").type());
            assertEquals(
                    o.metadata().get("tokenizer.ggml.tokens").describe(),
                    g.metadata().get("tokenizer.ggml.tokens").describe());
            assertEquals(GgufValue.Type.UINT32, g.metadata().get("k").type());
        }
    }

    @Test
    void quantizeReadsGgufIntoSafetensorsAndNotesTheArrayKeys() throws Exception {
        Path in = model();
        Path out = dir.resolve("q.safetensors");
        CliTest.Result r = CliTest.quantize(in, out, "q4f:block32:f16", "--rule", "w.f16=q8s");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err().contains("array metadata has no safetensors form and was left out: tokenizer.ggml.tokens"),
                r.err());
        try (SafetensorsReader s = SafetensorsReader.open(out);
                GgufReader g = GgufReader.open(in)) {
            assertEquals(
                    "q4f:block32:f16:u32",
                    ((QuantizedInfo) s.entry("w.f32")).scheme().toString());
            assertEquals(
                    "q8s:tensor:f32:u32",
                    ((QuantizedInfo) s.entry("w.f16")).scheme().toString());
            QuantizedInfo q8 = (QuantizedInfo) s.entry("w.q8");
            assertEquals("q8s:block32:f16:u32", q8.scheme().toString());
            assertArrayEquals(
                    g.readQuantized(g.tensor("w.q8")).dequantize().data(),
                    s.readQuantized(q8).dequantize().data());
            assertEquals("llama", s.userMetadata().get("general.architecture"));
            assertEquals("3", s.userMetadata().get("k"));
            assertEquals("I32", ((TensorInfo) s.entry("ids")).dtype().name());
        }
    }

    @Test
    void dequantizeReadsGgufAsGgmlDequantizesIt() throws Exception {
        Path in = model();
        Path out = dir.resolve("f.safetensors");
        CliTest.Result r = CliTest.run("dequantize", in.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("dequantized 2 tensors (1 widened to F32, 2 copied)"), r.err());
        try (SafetensorsReader s = SafetensorsReader.open(out);
                GgufReader g = GgufReader.open(in)) {
            for (String name : List.of("w.f32", "w.f16", "w.q8", "w.q41")) {
                assertEquals("F32", s.tensor(name).dtype().name(), name);
                assertArrayEquals(
                        g.readFloatTensor(g.tensor(name)).data(),
                        s.readFloatTensor(name).data(),
                        name);
            }
            assertEquals(14f, s.readFloatTensor("w.q41").data()[16]);
            assertArrayEquals(bytes(g, "ids"), s.readBytes(s.tensor("ids")));
        }
        Path back = dir.resolve("f.gguf");
        assertEquals(
                0,
                CliTest.run("dequantize", in.toString(), back.toString(), "-q").code());
        try (GgufReader g = GgufReader.open(back)) {
            assertEquals(GgmlType.F32, g.tensor("w.q8").type());
            assertEquals(GgmlType.I32, g.tensor("ids").type());
        }
    }

    @Test
    void inspectListsGgmlTypeNamesAndComparesAcrossFormats() throws Exception {
        Path in = model();
        CliTest.Result r = CliTest.run("inspect", in.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, String> type = new HashMap<>();
        for (String line : r.out().lines().toList()) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length >= 5 && !line.startsWith(" ") && !cells[0].endsWith(":")) {
                type.put(cells[0], cells[2]);
            }
        }
        assertEquals(
                Map.of("name", "type", "w.f32", "f32", "w.f16", "f16", "w.q8", "q8_0", "w.q41", "q4_1", "ids", "i32"),
                type,
                r.out());
        assertTrue(r.out().contains("tokenizer.ggml.tokens (ARRAY) = [STRING x 3]"), r.out());

        // The GGUF quantized to safetensors, compared with the GGUF: q8_0 kept exactly, q4_0 lossy, ids identical.
        Path q = dir.resolve("q.safetensors");
        assertEquals(0, CliTest.quantize(in, q, "q4_0", "-q").code());
        CliTest.Result c = CliTest.run("inspect", q.toString(), "--json", "--compare", in.toString());
        assertEquals(0, c.code(), c.err());
        JsonObject json = JsonParser.parseString(c.out()).getAsJsonObject();
        Map<String, JsonObject> tensors = new HashMap<>();
        for (JsonElement e : json.getAsJsonArray("tensors")) {
            tensors.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject());
        }
        assertTrue(tensors.get("w.q8").getAsJsonObject("compare").get("snr_db").isJsonNull(), "exact copy");
        assertEquals(
                0.0,
                tensors.get("w.q8")
                        .getAsJsonObject("compare")
                        .get("max_abs_error")
                        .getAsDouble());
        double snr =
                tensors.get("w.f32").getAsJsonObject("compare").get("snr_db").getAsDouble();
        assertTrue(snr > 15 && snr < 30, "q4_0 on Gaussian data: " + snr);
        assertTrue(
                tensors.get("ids").getAsJsonObject("compare").get("identical").getAsBoolean());
        assertEquals(
                0,
                json.getAsJsonObject("totals")
                        .getAsJsonArray("only_in_original")
                        .size());

        // The GGUF itself as JSON: ggml type names beside the scheme or dtype.
        CliTest.Result g = CliTest.run("inspect", in.toString(), "--json");
        assertEquals(0, g.code(), g.err());
        JsonObject gj = JsonParser.parseString(g.out()).getAsJsonObject();
        assertEquals("gguf", gj.get("format").getAsString());
        assertEquals(
                "llama",
                gj.getAsJsonObject("metadata").get("general.architecture").getAsString());
        JsonArray list = gj.getAsJsonArray("tensors");
        JsonObject q8 = list.get(2).getAsJsonObject();
        assertEquals("q8_0", q8.get("ggml_type").getAsString());
        assertEquals("q8s:block32:f16:u32", q8.get("scheme").getAsString());
        assertEquals(8.5, q8.get("bits_per_weight").getAsDouble());
        JsonObject q41 = list.get(3).getAsJsonObject();
        assertEquals("quantized", q41.get("kind").getAsString());
        // Q4_1 is the twin of q4f:block32:f16:affine; inspect names the type's scheme without scanning blocks.
        assertEquals("q4f:block32:f16:u32:affine", q41.get("scheme").getAsString());
        assertTrue(q41.get("dtype").isJsonNull());
        assertEquals("q4_1", q41.get("ggml_type").getAsString());
        assertEquals("F16", list.get(1).getAsJsonObject().get("dtype").getAsString());

        // GGUF against GGUF, in a table: the file against itself is exact everywhere.
        CliTest.Result self = CliTest.run("inspect", in.toString(), "--compare", in.toString());
        assertEquals(0, self.code(), self.err());
        assertTrue(self.out().contains("snr inf dB"), self.out());
    }

    @Test
    void aGgmlTypeQuant4jCannotReadIsListedButNotConverted() throws Exception {
        // Q5_1 (quant4j reads Q5_0 since it writes it as a Q4_K fallback).
        Path f = dir.resolve("q5.gguf");
        GgufWriter.write(
                f,
                Map.of(),
                List.of(new GgufWriter.Tensor("t", new long[] {32}, GgmlType.Q5_1, sink -> sink.write(new byte[24]))));
        CliTest.Result list = CliTest.run("inspect", f.toString());
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("q5_1"), list.out());
        Path out = dir.resolve("o.safetensors");
        for (String command : List.of("quantize", "dequantize", "convert")) {
            CliTest.Result r = command.equals("quantize")
                    ? CliTest.run(command, f.toString(), out.toString(), "--scheme", "q8_0")
                    : CliTest.run(command, f.toString(), out.toString());
            assertEquals(2, r.code(), command + ": " + r.err());
            assertTrue(
                    r.errorLine().contains("tensor 't' is ggml type q5_1, which quant4j cannot read"), r.errorLine());
            assertFalse(Files.exists(out), command);
        }
    }
}
