package dev.quant4j.cli;

import static dev.quant4j.cli.CliTest.f32;
import static dev.quant4j.cli.CliTest.quantize;
import static dev.quant4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
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
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files made to mislead: each must end in exit 2 and one line that names the fault, never in a wrong
 * report, a hang, an exception class or text that drives the terminal.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    /** A safetensors file from its header text and data bytes. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .put(h)
                .put(data)
                .array();
    }

    Path write(String name, String header, byte[] data) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, file(header, data));
        return f;
    }

    @Test
    void aQuantizedTensorWhoseElementCountWrapsIsRejected() throws IOException {
        // 65536^4 = 2^64 is 0 in a long: unchecked, inspect listed a valid, empty tensor.
        Path f = write(
                "wrap.safetensors",
                "{\"__metadata__\":{\"quant4j.q\":\"{\\\"scheme\\\":\\\"q8s:tensor:f32:u32\\\","
                        + "\\\"shape\\\":[65536,65536,65536,65536]}\"},\"q\":{\"dtype\":\"U32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                        + "\"q.__scales\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                new byte[4]);
        CliTest.Result r = run("inspect", f.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("more elements than a long counts"), r.err());
    }

    @Test
    void aMegabyteTensorNameDoesNotHangTheGlobs() throws IOException {
        String name = "a".repeat(1 << 20);
        Path f = write(
                "long.safetensors",
                "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[4]);
        Path out = dir.resolve("long.q.safetensors");
        CliTest.Result r = assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> quantize(f, out, "q8s", "--rule", "*a*a*a*a*b=q4f", "--skip", "*a*a*a*a*c", "-q"));
        assertEquals(0, r.code(), r.err());
    }

    /** ESC ]0; sets the window title, ESC [2J clears the screen, U+202E reverses the line, U+009B is CSI. */
    static final String EVIL = "w\u001b]0;owned\u0007\u001b[2J\u202eb\u009b1m\r";

    static final String EVIL_SHOWN = "w\\x1b]0;owned\\x07\\x1b[2J\\u202eb\\x9b1m\\r";

    /** Nothing but printable ASCII and line ends (the test's names are ASCII apart from the evil characters). */
    static void assertPrintable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertTrue(
                    c == '\n' || (c >= 0x20 && c < 0x7F),
                    "character U+" + Integer.toHexString(c) + " at " + i + " reached the terminal: " + s);
        }
    }

    Path evilFile(String dtype, int begin) throws IOException {
        String name = new Gson().toJson(EVIL);
        return write(
                "evil-" + dtype + begin + ".safetensors",
                "{\"__metadata__\":{" + name + ":" + name + "}," + name + ":{\"dtype\":\"" + dtype
                        + "\",\"shape\":[1],\"data_offsets\":[" + begin + "," + (begin + 4) + "]}}",
                new byte[begin + 4]);
    }

    @Test
    void namesFromTheFileAreEscapedInTheTable() throws IOException {
        CliTest.Result r = run("inspect", evilFile("F32", 0).toString());
        assertEquals(0, r.code(), r.err());
        assertPrintable(r.out());
        assertTrue(r.out().contains(EVIL_SHOWN), r.out());
    }

    @Test
    void jsonOutputEscapesEveryControlCharacterAndKeepsTheValues() throws IOException {
        CliTest.Result r = run("inspect", "--json", evilFile("F32", 0).toString());
        assertEquals(0, r.code(), r.err());
        assertPrintable(r.out());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(
                EVIL,
                o.getAsJsonArray("tensors").get(0).getAsJsonObject().get("name").getAsString());
        assertEquals(EVIL, o.getAsJsonObject("metadata").get(EVIL).getAsString());
    }

    @Test
    void namesFromTheFileAreEscapedInErrorsAndWarnings() throws IOException {
        CliTest.Result bad = run("inspect", evilFile("F12", 0).toString());
        assertEquals(2, bad.code(), bad.err());
        assertPrintable(bad.err());
        assertTrue(bad.errorLine().contains("tensor '" + EVIL_SHOWN + "'"), bad.err());

        Path gap = evilFile("F32", 4);
        Path out = dir.resolve("gap.q.safetensors");
        CliTest.Result warned = quantize(gap, out, "q8s", "--progress=always");
        assertEquals(0, warned.code(), warned.err());
        assertPrintable(warned.err());
        assertTrue(warned.err().contains("before tensor '" + EVIL_SHOWN + "'"), warned.err());
    }

    /** Files in the test folder, to check that a refused command leaves nothing behind. */
    List<String> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A file with a scalar, a norm, a matrix and a small convolution, as float32. */
    Path mixedModel() throws IOException {
        Path f = dir.resolve("mixed.safetensors");
        float[] w = new float[64 * 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i * 0.37);
        }
        SafetensorsWriter.write(
                f,
                Map.of(),
                List.of(
                        TensorSpec.floats("logit_scale", FloatTensor.of(new float[] {2.5f}), Dtype.F32),
                        TensorSpec.floats("norm.weight", FloatTensor.vector(java.util.Arrays.copyOf(w, 64)), Dtype.F32),
                        TensorSpec.floats("proj.weight", FloatTensor.of(w, 64, 64), Dtype.F32),
                        TensorSpec.floats(
                                "conv.weight",
                                FloatTensor.of(java.util.Arrays.copyOf(w, 288), 8, 4, 3, 3),
                                Dtype.F32)));
        return f;
    }

    @Test
    void tensorsTheSchemeCannotTakeAreCopiedWithANoteOrRefusedWithStrict() throws IOException {
        // The README's own command on a file with a scalar: block32 needs at least one dimension.
        Path in = mixedModel();
        Path out = dir.resolve("mixed.q.safetensors");
        CliTest.Result r = quantize(in, out, "q4f:block32:f16");
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err()
                        .contains("quant4j quantize: note: copied unquantized: tensor 'logit_scale' [] cannot take "
                                + "q4f:block32:f16:u32"),
                r.err());
        assertTrue(r.err().contains("or the tensor level") && !r.err().contains("blockSize"), "CLI syntax: " + r.err());
        try (SafetensorsReader q = SafetensorsReader.open(out)) {
            TensorInfo scalar = assertInstanceOf(TensorInfo.class, q.entry("logit_scale"));
            assertEquals(Dtype.F32, scalar.dtype());
            assertEquals(2.5f, q.readFloats(scalar)[0]);
            assertInstanceOf(QuantizedInfo.class, q.entry("proj.weight"));
        }
        Files.delete(out);

        CliTest.Result strict = quantize(in, out, "q4f:block32:f16", "--strict");
        assertEquals(2, strict.code(), strict.err());
        assertTrue(
                strict.errorLine()
                        .startsWith(
                                "quant4j quantize: tensor 'logit_scale' [] cannot take "
                                        + "q4f:block32:f16:u32: Block block32 has 1 extents but the tensor has only 0 dimensions"),
                strict.err());
        assertTrue(strict.errorLine().contains("drop --strict"), strict.err());
        assertEquals(List.of("mixed.safetensors"), folder());
    }

    @Test
    void blocksCutShortByAConvolutionAreWarnedAbout() throws IOException {
        Path out = dir.resolve("mixed.q.safetensors");
        CliTest.Result r = quantize(mixedModel(), out, "q4f:block32:f16", "--skip", "logit_scale");
        assertEquals(0, r.code(), r.err());
        // [8, 4, 3, 3]: 288 codes in 36 words (144 bytes) plus 96 F16 scales (192 bytes) = 9.33 bits a weight.
        assertTrue(
                r.err()
                        .contains("quant4j quantize: warning: tensor 'conv.weight' [8, 4, 3, 3] costs 9.33 bits per "
                                + "weight under q4f:block32:f16:u32, whose nominal is 4.50"),
                r.err());
        assertFalse(r.err().contains("proj.weight") || r.err().contains("norm.weight"), r.err());
    }

    @Test
    void patternsThatMatchNoTensorAreWarnedAbout() throws IOException {
        Path out = dir.resolve("mixed.q.safetensors");
        String[] opt = {"--rule", "*embd*=q4f", "--rule", "proj.*=q8s:block32", "--skip", "*nrom*", "--skip", "norm.*"};
        CliTest.Result r = quantize(mixedModel(), out, "q8s", opt);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: --rule '*embd*=q4f:tensor:f32:u32' matches no tensor of "), r.err());
        assertTrue(r.err().contains("warning: --skip '*nrom*' matches no tensor of "), r.err());
        assertFalse(r.err().contains("'proj.*") || r.err().contains("'norm.*"), r.err());
    }

    @Test
    void schemeErrorsUseTheSpecSyntaxNotTheAnnotations() {
        CliTest.Result r = quantize(dir.resolve("x"), dir.resolve("y"), "q4f:native:block0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("write u32 instead of native to pack 8 codes per 32-bit word"), r.err());
        assertTrue(r.errorLine().contains("e.g. block32"), r.err());
        assertFalse(r.errorLine().contains("store = U32") || r.errorLine().contains("blockSize"), r.err());
    }

    @Test
    void aTensorNamedLikeAnotherOnesScalesIsBadInputWithTheFix() throws IOException {
        Path in = dir.resolve("clash.safetensors");
        SafetensorsWriter.write(in, Map.of(), List.of(f32("w", 1, 2, 3, 4), f32("w.__scales", 5, 6)));
        Path out = dir.resolve("clash.q.safetensors");
        CliTest.Result r = quantize(in, out, "q8s");
        assertEquals(2, r.code(), r.err());
        assertTrue(
                r.errorLine().contains("tensor 'w' quantized would store its scales as 'w.__scales', but "), r.err());
        assertTrue(r.errorLine().endsWith("leave it unquantized with --skip 'w'"), r.err());
        assertEquals(List.of("clash.safetensors"), folder());
        CliTest.Result fixed = quantize(in, out, "q8s", "--skip", "w");
        assertEquals(0, fixed.code(), fixed.err());
    }

    @Test
    void aTensorTooLargeForOneArrayIsBadInput() throws IOException {
        // 65536 x 32768 = 2^31 F16 elements: 4 GiB of data, a sparse file that takes no disk space.
        String header = "{\"big\":{\"dtype\":\"F16\",\"shape\":[65536,32768],\"data_offsets\":[0,4294967296]}}";
        Path in = dir.resolve("big.safetensors");
        Files.write(in, file(header, new byte[0]));
        try (RandomAccessFile f = new RandomAccessFile(in.toFile(), "rw")) {
            f.setLength(f.length() + (1L << 32));
        }
        Path out = dir.resolve("big.q.safetensors");
        CliTest.Result r = quantize(in, out, "q8s", "--strict");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.errorLine().contains("tensor 'big' [65536, 32768] cannot be quantized: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals(List.of("big.safetensors"), folder());
    }

    @Test
    void dequantizeSaysWhenValuesOverflowFloat32AndStrictRefuses() throws IOException {
        // docs/NUMERICS.md: q8s:tensor:f32 on x = Float.MAX_VALUE rounds the scale up, and 127 * s overflows.
        Path in = dir.resolve("top.safetensors");
        float[] top = {Float.MAX_VALUE, -Float.MAX_VALUE, 1};
        SafetensorsWriter.write(in, Map.of(), List.of(f32("ok", 1, 2), f32("top", top)));
        Path q = dir.resolve("top.q.safetensors");
        assertEquals(0, quantize(in, q, "q8s", "-q").code());
        Path out = dir.resolve("top.dq.safetensors");
        CliTest.Result r = run("dequantize", q.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(
                r.err()
                        .startsWith("quant4j dequantize: warning: 2 values overflowed float32 and were written as "
                                + "+-Inf (the first in tensor 'top')"),
                r.err());
        try (SafetensorsReader d = SafetensorsReader.open(out)) {
            float[] x = d.readFloats(d.tensor("top"));
            assertEquals(Float.POSITIVE_INFINITY, x[0]);
            assertEquals(Float.NEGATIVE_INFINITY, x[1]);
        }
        Files.delete(out);
        CliTest.Result strict = run("dequantize", q.toString(), out.toString(), "--strict");
        assertEquals(2, strict.code(), strict.err());
        assertTrue(strict.errorLine().contains("tensor 'top' dequantizes to 2 values beyond float32"), strict.err());
        assertEquals(List.of("top.q.safetensors", "top.safetensors"), folder());
    }
}
