package dev.quant4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.cli.Main;
import dev.quant4j.cli.SparkMain;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Spark job in local mode against the single-machine CLI, shard by shard. */
class SparkQuantizeTest {
    /** local[2,2]: two threads, and a failed task is tried again once. */
    private static final String MASTER = "local[2,2]";

    private static final String[] OPTIONS = {
        "--scheme",
        "q4f:block32:f16",
        "--rule",
        "*attn*=q8s:block2x16:f32",
        "--rule",
        "*emb*=e4m3:block32:ue8m0",
        "--rule",
        "*down_proj*=q4f:block32:f16:affine",
        "--skip",
        "*lm_head*"
    };

    @TempDir
    Path dir;

    @BeforeAll
    static void quietSpark() {
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
        System.setProperty(ShardedQuantizer.FAIL_ONCE_CONF, "retry.me.weight");
    }

    record Run(int code, String err) {}

    static Run spark(String... args) {
        return run(SparkMain.commandLine(), args);
    }

    /** {@code spark quantize IN OUT --master MASTER OPTIONS...}: every quantize run of these tests. */
    private static Run sparkQuantize(String in, String out, String... options) {
        return spark(concat(new String[] {"spark", "quantize", in, out, "--master", MASTER}, options));
    }

    static Run cli(String... args) {
        return run(Main.commandLine(), args);
    }

    private static Run run(CommandLine cl, String... args) {
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    private static FloatTensor random(Random rnd, int... shape) {
        int n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.05f;
        }
        return FloatTensor.of(v, shape);
    }

    /**
     * Three shards with an index: F32, F16 and BF16 weights, rank-1 norms that block2x16 cannot take
     * (copied with a note), an I64 tensor, a skipped head, and a shard the CLI has quantized already.
     */
    private Path checkpoint(boolean index, String... extraTensors) throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        Random rnd = new Random(14);
        Map<String, String> weightMap = new TreeMap<>();
        List<List<TensorSpec>> shards = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            List<TensorSpec> specs = new ArrayList<>();
            String p = "model.layers." + s + ".";
            specs.add(TensorSpec.floats(p + "self_attn.q_proj.weight", random(rnd, 64, 96), Dtype.F32));
            specs.add(TensorSpec.floats(p + "self_attn.norm.weight", random(rnd, 96), Dtype.F32));
            specs.add(TensorSpec.floats(p + "mlp.up_proj.weight", random(rnd, 128, 64), Dtype.BF16));
            specs.add(TensorSpec.floats(p + "mlp.down_proj.weight", random(rnd, 64, 128), Dtype.F16));
            specs.add(new TensorSpec.Raw(p + "positions", Dtype.I64, new long[] {4}, sink -> sink.write(new byte[32])));
            shards.add(specs);
        }
        List<TensorSpec> last = new ArrayList<>();
        last.add(TensorSpec.floats("model.embed_tokens.weight", random(rnd, 50, 64), Dtype.BF16));
        last.add(TensorSpec.floats("lm_head.weight", random(rnd, 50, 64), Dtype.F32));
        for (String extra : extraTensors) {
            last.add(TensorSpec.floats(extra, random(rnd, 32, 64), Dtype.F32));
        }
        shards.add(last);
        for (int s = 0; s < shards.size(); s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size() + 1);
            SafetensorsWriter.write(in.resolve(name), Map.of("format", "pt"), shards.get(s));
            for (TensorSpec t : shards.get(s)) {
                weightMap.put(t.name(), name);
            }
        }
        // A fourth shard quantized already: its tensors are checked and kept.
        Path plain = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(
                plain, Map.of(), List.of(TensorSpec.floats("model.norm.weight", random(rnd, 64, 32), Dtype.F32)));
        String name = String.format("model-%05d-of-%05d.safetensors", 4, 4);
        assertEquals(
                0,
                cli("quantize", plain.toString(), in.resolve(name).toString(), "--scheme", "q8s:block32:f16", "-q")
                        .code());
        weightMap.put("model.norm.weight", name);
        weightMap.put("model.norm.weight.__scales", name);
        if (index) {
            StringBuilder json = new StringBuilder("{\"metadata\": {\"total_size\": 1}, \"weight_map\": {");
            String sep = "";
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                json.append(sep)
                        .append('"')
                        .append(e.getKey())
                        .append("\": \"")
                        .append(e.getValue())
                        .append('"');
                sep = ", ";
            }
            Files.writeString(in.resolve(Checkpoint.INDEX), json.append("}}").toString());
        }
        return in;
    }

    private static List<String> shardNames(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors"))
                    .sorted()
                    .toList();
        }
    }

    /** Each shard written by the job equals, byte for byte, the CLI's output for that shard. */
    private void assertSameAsCli(Path in, Path out, String... options) throws IOException {
        Path cliOut = Files.createDirectories(dir.resolve("cli-" + out.getFileName()));
        List<String> names = shardNames(in);
        assertEquals(names, shardNames(out));
        for (String n : names) {
            Run r = cli(concat(
                    new String[] {
                        "quantize", in.resolve(n).toString(), cliOut.resolve(n).toString(), "-q"
                    },
                    options));
            assertEquals(0, r.code(), r.err());
            assertArrayEquals(Files.readAllBytes(cliOut.resolve(n)), Files.readAllBytes(out.resolve(n)), n);
        }
        assertFalse(Files.exists(out.resolve("_quant4j_staging")), "staging folder left behind");
        try (Stream<Path> s = Files.list(out)) {
            List<String> stray = s.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(".tmp") || f.contains("attempt"))
                    .toList();
            assertEquals(List.of(), stray);
        }
    }

    @Test
    void shardsAreByteIdenticalToTheCliAndTheIndexListsEveryStoredTensor() throws IOException {
        Path in = checkpoint(true);
        Path out = dir.resolve("out");
        Run r = sparkQuantize(in.toString(), out.toString(), OPTIONS);
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err()
                        .contains("copied unquantized: tensor 'model.layers.0.self_attn.norm.weight' [96] cannot "
                                + "take q8s:block2x16:f32:u32"),
                r.err());
        assertTrue(r.err().contains("in 4 shards (0 complete already)"), r.err());
        assertSameAsCli(in, out, OPTIONS);
        String index = Files.readString(out.resolve(Checkpoint.INDEX));
        assertTrue(
                index.contains("\"model.layers.1.mlp.up_proj.weight.__scales\": \"model-00002-of-00004.safetensors\""),
                index);
        assertTrue(index.contains("\"lm_head.weight\": \"model-00003-of-00004.safetensors\""), index);
        assertFalse(index.contains("\"total_size\": 1,"), index);
    }

    @Test
    void withoutAnIndexEveryShardIsQuantizedAndNoIndexIsWritten() throws IOException {
        Path in = checkpoint(false);
        Path out = dir.resolve("out");
        Run r = sparkQuantize(in.toString(), out.toString(), "--scheme", "q8s", "-q");
        assertEquals(0, r.code(), r.err());
        assertSameAsCli(in, out, "--scheme", "q8s");
        assertFalse(Files.exists(out.resolve(Checkpoint.INDEX)));
    }

    @Test
    void aTaskThatFailsMidShardIsRetriedAndTheOutputIsStillTheClis() throws IOException {
        Path in = checkpoint(true, "retry.me.weight");
        Path out = dir.resolve("out");
        int before = ShardedQuantizer.INJECTED_FAILURES.get();
        Run r = sparkQuantize(in.toString(), out.toString(), OPTIONS);
        assertEquals(0, r.code(), r.err());
        assertEquals(before + 1, ShardedQuantizer.INJECTED_FAILURES.get(), "the first attempt did not fail");
        assertSameAsCli(in, out, OPTIONS);
    }

    @Test
    void aRerunSkipsShardsWhoseSidecarMatchesAndRedoesTheOthers() throws Exception {
        Path in = checkpoint(true);
        Path out = dir.resolve("out");
        String[] args =
                concat(new String[] {"spark", "quantize", in.toString(), out.toString(), "--master", MASTER}, OPTIONS);
        assertEquals(0, spark(args).code());
        Path first = out.resolve("model-00001-of-00004.safetensors");
        Path second = out.resolve("model-00002-of-00004.safetensors");
        // A crash after the rename of shard 2 and before its sidecar: the rerun must redo it.
        Files.delete(out.resolve(".model-00002-of-00004.safetensors" + ShardedQuantizer.DONE_SUFFIX));
        Files.write(second, new byte[] {1, 2, 3});
        long firstModified = Files.getLastModifiedTime(first).toMillis();
        Thread.sleep(20);
        Run r = spark(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("in 4 shards (3 complete already)"), r.err());
        assertEquals(firstModified, Files.getLastModifiedTime(first).toMillis());
        assertSameAsCli(in, out, OPTIONS);
        // Other options make another digest: nothing is skipped.
        Run other = sparkQuantize(in.toString(), out.toString(), "--scheme", "q8s");
        assertTrue(other.err().contains("in 4 shards (0 complete already)"), other.err());
        assertSameAsCli(in, out, "--scheme", "q8s");
    }

    @Test
    void globsThatMatchNothingAndCostlyBlocksWarnAsTheCliDoes() throws IOException {
        Path in = Files.createDirectories(dir.resolve("warn"));
        Random rnd = new Random(3);
        Path shard = in.resolve("a.safetensors");
        SafetensorsWriter.write(
                shard,
                Map.of(),
                List.of(
                        TensorSpec.floats("conv.weight", random(rnd, 8, 4, 3, 3), Dtype.F32),
                        TensorSpec.floats("w", random(rnd, 2, 32), Dtype.F32),
                        new TensorSpec.Raw("ids", Dtype.I64, new long[] {1}, sink -> sink.write(new byte[8]))));
        String[] options = {
            "--scheme", "q4f:block32:f16", "--rule", "*nothing*=q8s", "--skip", "*absent*", "--skip", "w", "-q"
        };
        Run cli = cli(concat(
                new String[] {
                    "quantize", shard.toString(), dir.resolve("o.safetensors").toString()
                },
                options));
        Run r = spark(concat(
                new String[] {
                    "spark", "quantize", in.toString(), dir.resolve("out").toString(), "--master", MASTER
                },
                options));
        assertEquals(0, cli.code(), cli.err());
        assertEquals(0, r.code(), r.err());
        // Same lines, in the same order; the CLI names the file, the job the folder.
        assertEquals(3, cli.err().lines().count(), cli.err());
        assertEquals(
                cli.err()
                        .replace("quant4j quantize:", "quant4j spark quantize:")
                        .replace(shard.toString(), in.toString()),
                r.err());
        assertTrue(r.err().contains("--skip '*absent*' matches no tensor"), r.err());
        assertTrue(r.err().contains("tensor 'conv.weight' [8, 4, 3, 3] costs"), r.err());
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("o.safetensors")),
                Files.readAllBytes(dir.resolve("out").resolve("a.safetensors")));
    }

    @Test
    void aMissingShardFailsBeforeAnythingIsWritten() throws IOException {
        Path in = checkpoint(true);
        Files.delete(in.resolve("model-00002-of-00004.safetensors"));
        Path out = dir.resolve("out");
        Run r = sparkQuantize(in.toString(), out.toString(), "--scheme", "q8s");
        assertEquals(2, r.code(), r.err());
        assertEquals(
                "quant4j spark quantize: " + in.resolve(Checkpoint.INDEX) + " puts tensors in shard "
                        + "'model-00002-of-00004.safetensors', which is not in " + in
                        + "; restore the shard or fix the index\n",
                r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void anIndexThatLiesAboutATensorsShardFails() throws IOException {
        Path in = checkpoint(true);
        Path index = in.resolve(Checkpoint.INDEX);
        Files.writeString(
                index,
                Files.readString(index)
                        .replace(
                                "\"lm_head.weight\": \"model-00003-of-00004.safetensors\"",
                                "\"lm_head.weight\": \"model-00001-of-00004.safetensors\""));
        Run r = sparkQuantize(in.toString(), dir.resolve("out").toString(), "--scheme", "q8s");
        assertEquals(2, r.code(), r.err());
        assertTrue(
                r.err()
                        .startsWith("quant4j spark quantize: " + index + " puts tensor 'lm_head.weight' in "
                                + in.resolve("model-00001-of-00004.safetensors")
                                + ", which has no tensor of that name; the index does not match the "
                                + "shards: fix or regenerate it"),
                r.err());
    }

    @Test
    void aDamagedShardFailsWithTheCliMessage() throws IOException {
        Path in = checkpoint(false);
        Path shard = in.resolve("model-00003-of-00004.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(bytes, 100));
        Run cli = cli("quantize", shard.toString(), dir.resolve("o.safetensors").toString(), "--scheme", "q8s");
        Run r = sparkQuantize(in.toString(), dir.resolve("out").toString(), "--scheme", "q8s");
        assertEquals(2, cli.code(), cli.err());
        assertEquals(2, r.code(), r.err());
        assertNotEquals("", cli.err());
        assertEquals(cli.err().replace("quant4j quantize:", "quant4j spark quantize:"), r.err());
    }

    @Test
    void aNaNInATensorFailsTheJobWithTheRuntimesMessage() throws IOException {
        Path in = Files.createDirectories(dir.resolve("nan"));
        float[] v = new float[64];
        v[17] = Float.NaN;
        SafetensorsWriter.write(
                in.resolve("a.safetensors"),
                Map.of(),
                List.of(TensorSpec.floats("w", FloatTensor.of(v, 2, 32), Dtype.F32)));
        Run cli = cli(
                "quantize",
                in.resolve("a.safetensors").toString(),
                dir.resolve("o.safetensors").toString(),
                "--scheme",
                "q8s");
        Path out = dir.resolve("out");
        Run r = sparkQuantize(in.toString(), out.toString(), "--scheme", "q8s");
        assertEquals(2, cli.code(), cli.err());
        assertEquals(cli.err().replace("quant4j quantize:", "quant4j spark quantize:"), r.err());
        assertFalse(Files.exists(out.resolve("a.safetensors")));
    }
}
