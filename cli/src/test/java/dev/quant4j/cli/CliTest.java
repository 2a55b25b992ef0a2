package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line run in-process on temp files: exit codes, messages, and the numbers it reports. */
class CliTest {
    private static final long SEED = 0xC11L;

    @TempDir
    Path dir;

    Path model;
    Map<String, float[]> originals = new HashMap<>();

    record Result(int code, String out, String err) {
        /** The one line a bad-input error prints. */
        String errorLine() {
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "expected one line on stderr, got: " + err);
            return lines.getFirst();
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** An F32 vector tensor. */
    static TensorSpec f32(String name, float... values) {
        return TensorSpec.floats(name, FloatTensor.vector(values), Dtype.F32);
    }

    /** {@code r}, after checking that its command exited 0. */
    static Result succeeded(Result r) {
        assertEquals(0, r.code(), r.err());
        return r;
    }

    /** {@code quantize IN OUT --scheme SCHEME MORE...}, the call most tests make; IN and OUT are paths or text. */
    static Result quantize(Object in, Object out, String scheme, String... more) {
        List<String> args = new ArrayList<>(List.of("quantize", in.toString(), out.toString(), "--scheme", scheme));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    static float[] gaussian(SplittableRandom rnd, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return x;
    }

    @BeforeEach
    void writeModel() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        float[] embed = gaussian(rnd, 256 * 64, 1);
        float[] up = gaussian(rnd, 64 * 128, 0.02);
        float[] down = gaussian(rnd, 128 * 64, 0.02);
        float[] norm = gaussian(rnd, 64, 1);
        // BF16 values, so the original holds exactly what the file holds.
        for (int i = 0; i < down.length; i++) {
            down[i] = Float.intBitsToFloat(Float.floatToRawIntBits(down[i]) & 0xFFFF0000);
        }
        originals.put("model.embed_tokens.weight", embed);
        originals.put("model.layers.0.mlp.up_proj.weight", up);
        originals.put("model.layers.0.mlp.down_proj.weight", down);
        originals.put("model.layers.0.input_layernorm.weight", norm);
        model = dir.resolve("model.safetensors");
        SafetensorsWriter.write(
                model,
                Map.of("format", "pt"),
                List.of(
                        TensorSpec.floats("model.embed_tokens.weight", FloatTensor.of(embed, 256, 64), Dtype.F32),
                        TensorSpec.floats("model.layers.0.mlp.up_proj.weight", FloatTensor.of(up, 64, 128), Dtype.F32),
                        TensorSpec.floats(
                                "model.layers.0.mlp.down_proj.weight", FloatTensor.of(down, 128, 64), Dtype.BF16),
                        TensorSpec.floats("model.layers.0.input_layernorm.weight", FloatTensor.vector(norm), Dtype.F32),
                        TensorSpec.bytes("position_ids", Dtype.I64, new long[] {4}, new byte[] {
                            1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,
                            0
                        })));
    }

    private List<String> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Map<String, JsonObject> byName(JsonObject report) {
        Map<String, JsonObject> m = new HashMap<>();
        for (JsonElement e : report.getAsJsonArray("tensors")) {
            m.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject());
        }
        return m;
    }

    @Test
    void quantizeDequantizeAndCompareGiveTheExpectedErrorLevels() throws IOException {
        Path q = dir.resolve("model.q.safetensors");
        String[] rules = {"--rule", "*embed*=q8s:block32:f16", "--rule", "*embed*=q2s", "--skip", "*norm*"};
        Result quantize = quantize(model, q, "q4f:block32:f16", rules);
        assertEquals(0, quantize.code(), quantize.err());
        assertTrue(quantize.err().startsWith("quantized 3 tensors (2 copied, 0 already quantized)"), quantize.err());
        assertEquals("", quantize.out());

        Result inspect = run("inspect", q.toString(), "--json", "--compare", model.toString());
        assertEquals(0, inspect.code(), inspect.err());
        JsonObject report = JsonParser.parseString(inspect.out()).getAsJsonObject();
        Map<String, JsonObject> t = byName(report);
        JsonObject embed = t.get("model.embed_tokens.weight");
        assertEquals("q8s:block32:f16:u32", embed.get("scheme").getAsString(), "first matching rule wins");
        assertEquals(8.5, embed.get("bits_per_weight").getAsDouble(), 1e-9);
        double embedSnr = embed.getAsJsonObject("compare").get("snr_db").getAsDouble();
        assertTrue(embedSnr > 35, "q8s on Gaussian data: SNR " + embedSnr);
        JsonObject up = t.get("model.layers.0.mlp.up_proj.weight");
        assertEquals("q4f:block32:f16:u32", up.get("scheme").getAsString());
        double upSnr = up.getAsJsonObject("compare").get("snr_db").getAsDouble();
        // 4 bits with per-32 scales: about 6 dB per bit less than 8 bits, well above noise, well below q8s.
        assertTrue(upSnr > 15 && upSnr < embedSnr - 15, "q4f SNR " + upSnr + " vs q8s " + embedSnr);
        JsonObject norm = t.get("model.layers.0.input_layernorm.weight");
        assertEquals("F32", norm.get("dtype").getAsString(), "--skip leaves the tensor as it was");
        assertTrue(norm.getAsJsonObject("compare").get("snr_db").isJsonNull(), "an exact copy has infinite SNR");
        assertEquals(0.0, norm.getAsJsonObject("compare").get("max_abs_error").getAsDouble());
        assertTrue(t.get("position_ids")
                .getAsJsonObject("compare")
                .get("identical")
                .getAsBoolean());
        JsonObject totals = report.getAsJsonObject("totals");
        assertEquals(5, totals.get("tensors").getAsInt());
        assertEquals(3, totals.get("quantized_tensors").getAsInt());
        assertEquals(4, totals.get("compared_tensors").getAsInt());
        long weights = 256 * 64 + 64 * 128 + 128 * 64 + 64;
        assertEquals(weights, totals.get("weights").getAsLong());
        assertEquals(new JsonArray(), totals.getAsJsonArray("not_in_original"));

        // The reported error is the real one: recompute it from the dequantized file.
        Path dq = dir.resolve("model.dq.safetensors");
        Result dequantize = run("dequantize", q.toString(), dq.toString());
        assertEquals(0, dequantize.code(), dequantize.err());
        try (SafetensorsReader r = SafetensorsReader.open(dq)) {
            for (String name : originals.keySet()) {
                TensorInfo info = r.tensor(name);
                assertEquals(Dtype.F32, info.dtype(), name);
            }
            float[] got = r.readFloatTensor("model.layers.0.mlp.up_proj.weight").data();
            float[] want = originals.get("model.layers.0.mlp.up_proj.weight");
            double noise = 0;
            double signal = 0;
            for (int i = 0; i < want.length; i++) {
                noise += (got[i] - (double) want[i]) * (got[i] - (double) want[i]);
                signal += (double) want[i] * want[i];
            }
            assertEquals(10 * Math.log10(signal / noise), upSnr, 1e-9);
            assertArrayEquals(
                    originals.get("model.layers.0.input_layernorm.weight"),
                    r.readFloatTensor("model.layers.0.input_layernorm.weight").data());
            assertArrayEquals(
                    new byte[] {
                        1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0
                    },
                    r.readBytes(r.tensor("position_ids")));
            assertEquals(Map.of("format", "pt"), r.metadata());
        }
        Result again = run("inspect", dq.toString(), "--json", "--compare", model.toString());
        JsonObject dqUp =
                byName(JsonParser.parseString(again.out()).getAsJsonObject()).get("model.layers.0.mlp.up_proj.weight");
        assertEquals(upSnr, dqUp.getAsJsonObject("compare").get("snr_db").getAsDouble(), 1e-9);
        // The BF16 tensor widened to F32 exactly.
        JsonObject dqDown = byName(
                        JsonParser.parseString(run("inspect", dq.toString(), "--json", "--compare", model.toString())
                                        .out())
                                .getAsJsonObject())
                .get("model.layers.0.mlp.down_proj.weight");
        assertEquals("F32", dqDown.get("dtype").getAsString());
    }

    @Test
    void aQuantizedFileQuantizedAgainKeepsItsTensors() throws IOException {
        Path q = dir.resolve("q.safetensors");
        assertEquals(
                0, quantize(model, q, "e4m3:block2x16:bf16", "--skip", "*norm*").code());
        Path q2 = dir.resolve("q2.safetensors");
        Result r = quantize(q, q2, "q8s");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("quantized 1 tensors (1 copied, 3 already quantized)"), r.err());
        try (SafetensorsReader a = SafetensorsReader.open(q);
                SafetensorsReader b = SafetensorsReader.open(q2)) {
            QuantizedInfo qa = assertInstanceOf(QuantizedInfo.class, a.entry("model.embed_tokens.weight"));
            QuantizedInfo qb = assertInstanceOf(QuantizedInfo.class, b.entry("model.embed_tokens.weight"));
            assertEquals("e4m3:block2x16:bf16:u32", qb.scheme().toString());
            assertArrayEquals(a.readQuantized(qa).codes(), b.readQuantized(qb).codes());
            assertInstanceOf(QuantizedInfo.class, b.entry("model.layers.0.input_layernorm.weight"));
        }
    }

    @Test
    void inspectPrintsATable() {
        Result r = run("inspect", model.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.getFirst().matches("name +shape +type +bytes +bits/w"), lines.getFirst());
        assertTrue(
                lines.get(1).matches("model\\.embed_tokens\\.weight +256x64 +F32 +65\\.5 kB +32\\.000"), lines.get(1));
        assertTrue(
                lines.getLast().startsWith("total: 5 tensors (0 quantized, 4 float, 1 other); 32832 weights"),
                lines.getLast());
    }

    private void assertBadInput(Result r, String... fragments) throws IOException {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        String line = r.errorLine();
        for (String f : fragments) {
            assertTrue(line.contains(f), "expected '" + f + "' in: " + line);
        }
        assertFalse(line.contains("Exception") || line.contains("\tat "), "no stack trace: " + line);
        assertEquals(
                List.of("model.safetensors"),
                folder().stream()
                        .filter(n -> !n.equals("garbage.safetensors") && !n.equals("nan.safetensors"))
                        .toList(),
                "nothing is left behind");
    }

    private double squaredError(Path file, String name) throws IOException {
        return weightedError(file, name, null);
    }

    /** Sum of {@code w[i mod w.length] * (x - x')^2} over the tensor, w = 1 when null. */
    private double weightedError(Path file, String name, float[] w) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            float[] back = r.readQuantized(name).dequantize().data();
            float[] x = originals.get(name);
            double e = 0;
            for (int i = 0; i < x.length; i++) {
                double d = (double) x[i] - back[i];
                e += (w == null ? 1 : w[i % w.length]) * d * d;
            }
            return e;
        }
    }

    @Test
    void calibrationSearchesLowerTheErrorAndImatrixTakesItsStatisticsFromAFile() throws IOException {
        Path minMax = dir.resolve("minmax.safetensors");
        Path mse = dir.resolve("mse.safetensors");
        Path imatrix = dir.resolve("imatrix.safetensors");
        Path stats = dir.resolve("stats.safetensors");
        // Bad input first, while the folder holds only the model (nothing may be left behind).
        assertBadInput(
                quantize(model, dir.resolve("x.safetensors"), "q4f:block32:f16:imatrix"),
                "tensor 'model.embed_tokens.weight' has calibration imatrix, which needs"
                        + " input statistics: give them with --calibration-data FILE");
        assertBadInput(
                quantize(model, dir.resolve("x.safetensors"), "q8s", "--calibration", "best"),
                "'best' is not a calibration; use minmax, mse, imatrix or gptq");
        assertBadInput(
                quantize(
                        model, dir.resolve("x.safetensors"), "q4f:block32:f16", "--calibration-data", stats.toString()),
                "no such file",
                "stats.safetensors");
        assertEquals(0, quantize(model, minMax, "q4f:block32:f16", "-q").code());
        assertEquals(
                0,
                quantize(model, mse, "q4f:block32:f16", "--calibration", "mse", "-q")
                        .code());
        for (String name : List.of(
                "model.embed_tokens.weight",
                "model.layers.0.mlp.up_proj.weight",
                "model.layers.0.mlp.down_proj.weight")) {
            assertTrue(squaredError(mse, name) < squaredError(minMax, name), name);
        }
        // Statistics for one layer only: the other float tensors are searched unweighted, and the CLI says so.
        dev.quant4j.calibrate.InputStatistics s = new dev.quant4j.calibrate.InputStatistics();
        float[] inputs = gaussian(new SplittableRandom(3), 16 * 128, 1);
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] *= (i % 128) < 8 ? 20 : 1;
        }
        s.add("model.layers.0.mlp.up_proj.weight", inputs, 16, 128);
        s.save(stats);
        Result r = quantize(
                model, imatrix, "q4f:block32:f16", "--calibration", "imatrix", "--calibration-data", stats.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err().contains("3 imatrix/gptq tensors had no entry in " + stats + " and were searched unweighted"),
                r.err());
        String up = "model.layers.0.mlp.up_proj.weight";
        float[] importance = s.meanSquares(up);
        assertTrue(weightedError(imatrix, up, importance) <= weightedError(minMax, up, importance) * (1 + 1e-5));
        assertTrue(weightedError(imatrix, up, importance) < weightedError(mse, up, importance) * (1 + 1e-5));
    }

    @Test
    void badUsageAndBadInputExitWithTwoAndOneLine() throws IOException {
        String out = dir.resolve("out.safetensors").toString();
        String in = model.toString();
        assertBadInput(
                quantize(dir.resolve("nope.safetensors").toString(), out, "q8s"),
                "quant4j quantize: no such file or folder: ",
                "nope.safetensors");
        assertBadInput(
                quantize(in, out, "q9s"),
                "Invalid value for option '--scheme'",
                "cannot read scheme 'q9s'",
                "'q9s' is not a scheme part");
        assertBadInput(
                quantize(in, out, "q4f:native:block0"),
                "scheme 'q4f:native:block0'",
                "Native storage is not supported for sub-byte",
                "Block extent 0 is 0");
        assertBadInput(quantize(in, out, "q8s", "--rule", "*embed*"), "is not GLOB=SPEC");
        assertBadInput(quantize(in, out, "q8s", "--skip", "[abc"), "without a closing ']'");
        assertBadInput(run("quantize", in, out), "Missing required option: '--scheme=SPEC'", "quant4j quantize --help");
        assertBadInput(quantize(in, out, "q8s", "--frobnicate"), "Unknown option: '--frobnicate'");
        assertBadInput(quantize(in, in, "q8s"), "is the input file");
        assertBadInput(run("frobnicate"), "Unmatched argument");
        assertBadInput(run("inspect", dir.toString()), "is a folder, not a safetensors file");
        assertBadInput(run("dequantize", in, dir.toString()), "is a folder; give a file name to write to");
        assertBadInput(run(), "give a command");
        // A scheme whose block has more extents than a tensor: with --strict, name the tensor and the fixes
        // (by default such a tensor is copied unquantized with a note: HostileInputTest).
        assertBadInput(
                quantize(in, out, "q8s:block2x16", "--strict"),
                "tensor 'model.layers.0.input_layernorm.weight' [64] cannot take q8s:block2x16:f32:u32",
                "--skip",
                "--rule");
    }

    @Test
    void malformedAndNonFiniteInputsAreNamed() throws IOException {
        Path garbage = dir.resolve("garbage.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        bytes[12] = 1; // a control character inside a JSON string
        Files.write(garbage, bytes);
        String out = dir.resolve("out.safetensors").toString();
        assertBadInput(quantize(garbage.toString(), out, "q8s"), garbage.toString(), "(byte offset ", "not valid JSON");
        assertBadInput(run("inspect", garbage.toString()), garbage.toString(), "not valid JSON");

        Path nan = dir.resolve("nan.safetensors");
        float[] x = {1, 2, Float.NaN, 4};
        SafetensorsWriter.write(nan, Map.of(), List.of(f32("ok", 1, 2), f32("w", x)));
        assertBadInput(run("quantize", nan.toString(), out, "--scheme", "q8s"), "tensor 'w' holds NaN at flat index 2");
        Result skipped = run("quantize", nan.toString(), out, "--scheme", "q8s", "--skip", "w");
        assertEquals(0, skipped.code(), skipped.err());
        Files.delete(Path.of(out));

        // A scale that overflows its param type shows only while streaming, after the first tensor was
        // written: the partial output must be removed.
        Path big = dir.resolve("nan.safetensors");
        SafetensorsWriter.write(big, Map.of(), List.of(f32("ok", 1, 2), f32("huge", 1e10f, 1)));
        assertBadInput(
                quantize(big.toString(), out, "q8s:f16"),
                "tensor 'huge' block [0] of grid [1] needs scale",
                "more than F16 holds");
    }

    @Test
    void verboseAddsTheStackTrace() {
        Result r = run(
                "quantize",
                "-v",
                dir.resolve("nope.safetensors").toString(),
                dir.resolve("o").toString(),
                "--scheme",
                "q8s");
        assertEquals(2, r.code());
        assertTrue(
                r.err().contains("java.nio.file.NoSuchFileException") && r.err().contains("\tat "), r.err());
        Result before = run("-v", "inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(2, before.code());
        assertTrue(before.err().contains("\tat "), before.err());
    }
}
