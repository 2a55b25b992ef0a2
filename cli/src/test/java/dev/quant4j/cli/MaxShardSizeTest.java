package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --max-shard-size}: output shards cut by size, their index, round trips, bad sizes. */
class MaxShardSizeTest {
    @TempDir
    Path dir;

    /** a 1024 B, b 256 B, c 2048 B, d 256 B, e (I64) 32 B of data, in this order. */
    Path model() throws Exception {
        Path f = dir.resolve("model.safetensors");
        SafetensorsWriter.write(
                f,
                Map.of("format", "pt"),
                List.of(
                        TensorSpec.floats("a", FloatTensor.of(ShardedCliTest.values(1, 256), 4, 64), Dtype.F32),
                        TensorSpec.floats("b", FloatTensor.of(ShardedCliTest.values(2, 64), 64), Dtype.F32),
                        TensorSpec.floats("c", FloatTensor.of(ShardedCliTest.values(3, 512), 8, 64), Dtype.F32),
                        TensorSpec.floats("d", FloatTensor.of(ShardedCliTest.values(4, 64), 2, 32), Dtype.F32),
                        TensorSpec.bytes("e", Dtype.I64, new long[] {4}, new byte[32])));
        return f;
    }

    /** The shards' tensor names (a quantized tensor as one entry) and data bytes, in index order. */
    static Map<String, List<String>> layout(Path folder, Map<String, Long> dataBytes) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        ShardedCheckpoint c = ShardedCheckpoint.open(folder);
        for (Path shard : c.shards()) {
            try (SafetensorsReader r = SafetensorsReader.open(shard)) {
                List<String> names = new ArrayList<>();
                for (SafetensorsEntry e : r.entries()) {
                    names.add(e.name());
                }
                out.put(shard.getFileName().toString(), names);
                dataBytes.put(shard.getFileName().toString(), r.fileSize() - r.dataStart());
            }
        }
        return out;
    }

    @Test
    void convertCutsShardsBySizeAndATensorLargerThanTheLimitGetsItsOwn() throws Exception {
        Path in = model();
        Path out = dir.resolve("out");
        CliTest.Result r = CliTest.run("convert", in.toString(), out.toString(), "--max-shard-size", "1300B");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err()
                        .contains("note: larger than --max-shard-size 1.3 kB, so in a shard of its own: tensor c "
                                + "(2.0 kB) in model-00002-of-00003.safetensors"),
                r.err());
        Map<String, Long> bytes = new LinkedHashMap<>();
        assertEquals(
                Map.of(
                        "model-00001-of-00003.safetensors",
                        List.of("a", "b"),
                        "model-00002-of-00003.safetensors",
                        List.of("c"),
                        "model-00003-of-00003.safetensors",
                        List.of("d", "e")),
                layout(out, bytes));
        assertEquals(List.of(1280L, 2048L, 288L), new ArrayList<>(bytes.values()));
        JsonObject index = JsonParser.parseString(Files.readString(out.resolve(ShardedCheckpoint.INDEX)))
                .getAsJsonObject();
        assertEquals(
                1280 + 2048 + 288,
                index.getAsJsonObject("metadata").get("total_size").getAsLong());
        assertEquals(
                "model-00003-of-00003.safetensors",
                index.getAsJsonObject("weight_map").get("e").getAsString());
        assertEquals(5, index.getAsJsonObject("weight_map").size());
        try (SafetensorsReader s = SafetensorsReader.open(out.resolve("model-00003-of-00003.safetensors"))) {
            assertEquals("pt", s.userMetadata().get("format"));
        }
        // Round trip: every tensor of the folder is the original's, bit for bit.
        CliTest.Result c = CliTest.run("inspect", out.toString(), "--json", "--compare", in.toString());
        assertEquals(0, c.code(), c.err());
        JsonObject json = JsonParser.parseString(c.out()).getAsJsonObject();
        assertEquals(5, json.getAsJsonArray("tensors").size());
        for (JsonElement t : json.getAsJsonArray("tensors")) {
            JsonObject cmp = t.getAsJsonObject().getAsJsonObject("compare");
            assertTrue(
                    cmp.has("identical")
                            ? cmp.get("identical").getAsBoolean()
                            : cmp.get("max_abs_error").getAsDouble() == 0,
                    t.toString());
        }
    }

    @Test
    void quantizeKeepsCodesAndScalesTogetherAndShardsStayUnderTheLimit() throws Exception {
        Path in = model();
        Path out = dir.resolve("q");
        CliTest.Result r = CliTest.quantize(in, out, "q8_0", "--max-shard-size", "600B", "-q");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("shard of its own"), r.err());
        Map<String, Long> bytes = new LinkedHashMap<>();
        Map<String, List<String>> shards = layout(out, bytes);
        // Quantized: a 272 B, b 68 B, c 544 B, d 68 B, e 32 B; 600-byte shards, in order: a+b, c, d+e.
        assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("d", "e")), new ArrayList<>(shards.values()));
        assertEquals(List.of(340L, 544L, 100L), new ArrayList<>(bytes.values()));
        ShardedCheckpoint c = ShardedCheckpoint.open(out);
        for (String name : List.of("a", "b", "c", "d")) {
            assertEquals(c.weightMap().get(name), c.weightMap().get(name + ".__scales"), name);
        }
        Path second = out.resolve("model-00002-of-00003.safetensors");
        assertEquals("q8s:block32:f16:u32", ShardedCliTest.scheme(second, "c"));
        // dequantize the folder into shards of another size: the same values as one dequantized file.
        Path f = dir.resolve("f");
        assertEquals(
                0,
                CliTest.run("dequantize", out.toString(), f.toString(), "--max-shard-size", "2KB", "-q")
                        .code());
        assertEquals(
                0,
                CliTest.run("dequantize", out.toString(), dir.resolve("one").toString(), "-q")
                        .code());
        Map<String, Long> fb = new LinkedHashMap<>();
        assertEquals(
                List.of(List.of("a", "b"), List.of("c"), List.of("d", "e")),
                new ArrayList<>(layout(f, fb).values()),
                fb.toString());
        CliTest.Result cmp = CliTest.run(
                "inspect", f.toString(), "--compare", dir.resolve("one").toString());
        assertEquals(0, cmp.code(), cmp.err());
        assertTrue(
                cmp.out().contains("error vs " + dir.resolve("one") + ": 4 tensors, 896 weights; rmse 0.000e+00"),
                cmp.out());
    }

    @Test
    void aReadFailureLeavesNoShardsAndNoIndex() throws Exception {
        Path in = dir.resolve("nan.safetensors");
        float[] d = ShardedCliTest.values(4, 64);
        d[5] = Float.NaN;
        SafetensorsWriter.write(
                in,
                Map.of(),
                List.of(
                        TensorSpec.floats("a", FloatTensor.of(ShardedCliTest.values(1, 256), 4, 64), Dtype.F32),
                        TensorSpec.floats("d", FloatTensor.of(d, 2, 32), Dtype.F32)));
        Path out = dir.resolve("q");
        CliTest.Result r = CliTest.quantize(in, out, "q8_0", "--max-shard-size", "300B");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("'d'"), r.errorLine());
        assertFalse(Files.exists(out), "the first shard is deleted again, and the folder this run made");
    }

    @Test
    void badSizesAreOneLineNamingTheOptionAndTheFix() throws Exception {
        Path in = model();
        Path out = dir.resolve("out");
        for (String bad : List.of("2XB", "abc", "0", "2Gb", "-5MB", "1.5GB", "99999999999GiB")) {
            CliTest.Result r = CliTest.run("convert", in.toString(), out.toString(), "--max-shard-size", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            String line = r.errorLine();
            assertTrue(line.startsWith("quant4j convert: Invalid value for option '--max-shard-size'"), line);
            assertTrue(line.contains("e.g. 2GB") || line.contains("write 2GB for bytes"), line);
            assertFalse(Files.exists(out), bad);
        }
        CliTest.Result gguf =
                CliTest.run("convert", in.toString(), dir.resolve("o.gguf").toString(), "--max-shard-size", "2GB");
        assertEquals(2, gguf.code());
        assertTrue(gguf.errorLine().contains("split GGUF is not supported"), gguf.errorLine());
        Path file = Files.writeString(dir.resolve("taken"), "x");
        CliTest.Result onFile = CliTest.run("convert", in.toString(), file.toString(), "--max-shard-size", "2GB");
        assertEquals(2, onFile.code());
        assertTrue(onFile.errorLine().contains("is a file; shards go into a folder"), onFile.errorLine());
    }

    @Test
    void sizesReadAsHuggingFaceReadsThem() {
        assertEquals(2_000_000_000L, Sizes.parseSize("2GB"));
        assertEquals(500_000_000L, Sizes.parseSize("500MB"));
        assertEquals(10L << 20, Sizes.parseSize("10MiB"));
        assertEquals(3L << 30, Sizes.parseSize("3gIB"));
        assertEquals(5_000L, Sizes.parseSize("5 KB"));
        assertEquals(4096L, Sizes.parseSize("4096"));
        assertEquals(7L, Sizes.parseSize("7B"));
        assertEquals(1L << 10, Sizes.parseSize("1kIB"));
        IllegalArgumentException bits = assertThrows(IllegalArgumentException.class, () -> Sizes.parseSize("2Mib"));
        assertTrue(bits.getMessage().contains("write 2MiB for bytes"), bits.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sizes.parseSize("GB"));
    }
}
