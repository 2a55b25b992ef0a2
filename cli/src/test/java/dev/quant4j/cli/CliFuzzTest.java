package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands on damaged files: whatever the header claims (sizes at the edges of int and long,
 * other dtypes, other schemes), every run ends in exit 0, or exit 2 with one printable line, never an
 * internal error (exit 1) or text that drives the terminal. The parser itself is fuzzed harder in the
 * runtime (HostileCorpusFuzzTest); this checks the way from its errors to the user.
 * {@code -Dquant4j.fuzz.rounds=N -Dquant4j.fuzz.seed=S} for a longer run (docs/FUZZING.md).
 */
class CliFuzzTest {
    private static final long SEED = Long.getLong("quant4j.fuzz.seed", 0xC1F0L);
    private static final int ROUNDS = Integer.getInteger("quant4j.fuzz.rounds", 100);
    /** What a mutation puts in a token's place: numbers, dtypes, schemes (separated by spaces). */
    private static final String[] VALUES = ("0 1 2 3 7 32 65536 2147483647 2147483648 4294967296 9223372036854775807"
                    + " \"F16\" \"BF16\" \"U32\" \"I8\" \"F8_E4M3\" \"U8\""
                    + " \\\"q4f:block32:f16:u32\\\" \\\"e4m3:native\\\" \\\"q2s:block2x16:bf16\\\"")
            .split(" ");

    private static final Pattern TOKEN = Pattern.compile("[0-9]+|\"[A-Z0-9_]+\"|\\\\\"[a-z0-9:]+\\\\\"");

    @TempDir
    Path dir;

    private byte[] base() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        float[] x = new float[8 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        FloatTensor t = FloatTensor.of(x, 8, 64);
        List<TensorSpec> specs = List.of(
                TensorSpec.floats("a.weight", t, Dtype.BF16),
                TensorSpec.quantized(
                        "b.weight", Kernels.scalar().quantize("b", t, QuantScheme.parse("q4f:block32:f16"))),
                TensorSpec.quantized(
                        "c.weight", Kernels.scalar().quantize("c", t, QuantScheme.parse("e4m3:native:block2x16"))),
                TensorSpec.bytes("ids", Dtype.I64, new long[] {2}, new byte[16]),
                TensorSpec.floats("norm", FloatTensor.vector(new float[] {1, 2, 3}), Dtype.F32));
        Path f = dir.resolve("base.safetensors");
        SafetensorsWriter.write(f, Map.of("format", "pt"), specs);
        return Files.readAllBytes(f);
    }

    /** The base file with one to three header tokens (numbers, dtypes, schemes) replaced. */
    private static byte[] mutate(byte[] base, SplittableRandom rnd, StringBuilder what) {
        int n = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(base, 8, n, StandardCharsets.UTF_8);
        for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
            Matcher m = TOKEN.matcher(header);
            List<int[]> spans = new ArrayList<>();
            while (m.find()) {
                spans.add(new int[] {m.start(), m.end()});
            }
            int[] s = spans.get(rnd.nextInt(spans.size()));
            String v = VALUES[rnd.nextInt(VALUES.length)];
            what.append(header, s[0], s[1]).append(" -> ").append(v).append("; ");
            header = header.substring(0, s[0]) + v + header.substring(s[1]);
        }
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + base.length - 8 - n)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .put(h)
                .put(base, 8 + n, base.length - 8 - n)
                .array();
    }

    @Test
    void damagedFilesEndInExitZeroOrTwoWithOnePrintableLine() throws IOException {
        byte[] base = base();
        SplittableRandom rnd = new SplittableRandom(SEED);
        Path f = dir.resolve("fuzz.safetensors");
        Path out = dir.resolve("out.safetensors");
        int ok = 0;
        int bad = 0;
        for (int round = 0; round < ROUNDS; round++) {
            StringBuilder what = new StringBuilder();
            Files.write(f, mutate(base, rnd, what));
            for (String[] args : List.of(
                    new String[] {"inspect", f.toString()},
                    new String[] {"quantize", f.toString(), out.toString(), "--scheme", "q4f:block32:f16", "-q"},
                    new String[] {"dequantize", f.toString(), out.toString(), "-q", "--strict"})) {
                CliTest.Result r = CliTest.run(args);
                String where = "seed " + SEED + " round " + round + " (" + what + ") " + args[0] + ": ";
                assertTrue(r.code() == 0 || r.code() == 2, where + "exit " + r.code() + ": " + r.err());
                if (r.code() == 2) {
                    bad++;
                    assertEquals(1, r.err().lines().count(), where + r.err());
                    assertFalse(r.err().contains("Exception"), where + r.err());
                } else {
                    ok++;
                }
                HostileInputTest.assertPrintable(r.err());
                HostileInputTest.assertPrintable(r.out());
                Files.deleteIfExists(out);
            }
        }
        assertTrue(ok > ROUNDS / 30 && bad > ROUNDS / 2, "exit 0: " + ok + ", exit 2: " + bad);
    }
}
