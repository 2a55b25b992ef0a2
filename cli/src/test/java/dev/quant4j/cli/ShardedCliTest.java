package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face sharded checkpoints through quantize, dequantize and inspect, shard by shard. */
class ShardedCliTest {
    @TempDir
    Path dir;

    /** The scheme text of the quantized tensor {@code name} in one safetensors file. */
    static String scheme(Path file, String name) throws IOException {
        try (SafetensorsReader s = SafetensorsReader.open(file)) {
            return ((QuantizedInfo) s.entry(name)).scheme().toString();
        }
    }

    static float[] values(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Two shards and their index, as Hugging Face writes them. */
    Path checkpoint() throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        SafetensorsWriter.write(
                in.resolve("model-00001-of-00002.safetensors"),
                Map.of(),
                List.of(
                        TensorSpec.floats("a", FloatTensor.of(values(1, 64), 2, 32), Dtype.F32),
                        TensorSpec.floats("b", FloatTensor.of(values(2, 32), 32), Dtype.F32)));
        SafetensorsWriter.write(
                in.resolve("model-00002-of-00002.safetensors"),
                Map.of(),
                List.of(TensorSpec.floats("c", FloatTensor.of(values(3, 96), 3, 32), Dtype.F32)));
        Files.writeString(in.resolve(ShardedCheckpoint.INDEX), """
                {"metadata": {"total_size": 768}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                 "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
                """);
        return in;
    }

    @Test
    void quantizeAndDequantizeWriteTheSameShardsAndANewIndex() throws Exception {
        Path in = checkpoint();
        Path q = dir.resolve("q");
        CliTest.Result r = CliTest.quantize(in, q, "q8_0", "-q");
        assertEquals(0, r.code(), r.err());
        ShardedCheckpoint out = ShardedCheckpoint.open(q);
        assertEquals(
                List.of(
                        q.toRealPath().resolve("model-00001-of-00002.safetensors"),
                        q.toRealPath().resolve("model-00002-of-00002.safetensors")),
                out.shards().stream().map(p -> p.toAbsolutePath().normalize()).toList());
        assertEquals("model-00002-of-00002.safetensors", out.weightMap().get("c"));
        assertEquals("model-00002-of-00002.safetensors", out.weightMap().get("c.__scales"));
        assertEquals("q8s:block32:f16:u32", scheme(q.resolve("model-00002-of-00002.safetensors"), "c"));
        Path f = dir.resolve("f");
        assertEquals(
                0,
                CliTest.run("dequantize", q.resolve(ShardedCheckpoint.INDEX).toString(), f.toString(), "-q")
                        .code());
        try (SafetensorsReader s = SafetensorsReader.open(f.resolve("model-00001-of-00002.safetensors"))) {
            float[] a = s.readFloatTensor("a").data();
            float[] orig = values(1, 64);
            for (int i = 0; i < a.length; i++) {
                assertEquals(orig[i], a[i], 0.02f * Math.abs(orig[i]) + 0.02f);
            }
        }
        CliTest.Result inspect = CliTest.run("inspect", q.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("c ") && inspect.out().contains("a "), inspect.out());
    }

    @Test
    void aMissingShardIsAClearErrorAndNothingIsWritten() throws Exception {
        Path in = checkpoint();
        Files.delete(in.resolve("model-00002-of-00002.safetensors"));
        Path q = dir.resolve("q");
        CliTest.Result r = CliTest.quantize(in, q, "q8_0");
        assertEquals(2, r.code());
        assertTrue(
                r.errorLine().contains("model-00002-of-00002.safetensors")
                        && r.errorLine().contains("missing"),
                r.errorLine());
        assertTrue(!Files.exists(q), "no output folder");
    }

    @Test
    void aShardNameThatIsAPathIsRefused() throws Exception {
        Path in = checkpoint();
        Files.writeString(in.resolve(ShardedCheckpoint.INDEX), "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
        CliTest.Result r = CliTest.run("inspect", in.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("not a plain file name"), r.errorLine());
    }
}
