package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.tensor.Shapes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded, structure-aware mutation of the hostile-file corpus (every case of {@link MalformedFileTest}
 * and the valid files beside them): numbers in the header swapped for boundary values (2^31, 2^32,
 * 2^63 - 1, 65536, ...), dtypes and schemes swapped, entries duplicated or dropped, control characters
 * put into names, header lengths changed, files cut. Every result must open as a readable file whose
 * tensors all read, or fail with a {@link SafetensorsFormatException} whose message names the file and
 * is safe to print. Anything else (an ArithmeticException, an index error, an OutOfMemoryError, a
 * NegativeArraySizeException) is a bug.
 *
 * <p>Coverage-guided fuzzing (Jazzer) is not available from this build's repository; this is the seeded
 * alternative. A short run is part of the normal build; a long one is
 * {@code ./mvnw -B -q -o test -pl runtime -Dtest=HostileCorpusFuzzTest -Dquant4j.fuzz.rounds=200000
 * -Dquant4j.fuzz.seed=N} (docs/FUZZING.md).
 */
class HostileCorpusFuzzTest {
    private static final long SEED = Long.getLong("quant4j.fuzz.seed", 0x5AFEL);
    private static final int ROUNDS = Integer.getInteger("quant4j.fuzz.rounds", 2000);

    private static final String[] NUMBERS = {
        "0",
        "1",
        "3",
        "4",
        "8",
        "32",
        "65536",
        "2147483639",
        "2147483647",
        "2147483648",
        "4294967295",
        "4294967296",
        "9007199254740993",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "-1",
        "1e3",
        "1.5",
        "00"
    };
    private static final String[] DTYPES = {
        "F32", "F16", "BF16", "U32", "U8", "I8", "I64", "F4", "F6_E2M3", "F8_E4M3", "BOOL", "C64", "F12", ""
    };
    private static final String[] SCHEMES = {
        "q8s:tensor:f32:u32",
        "q4f:block32:f16:u32",
        "q2s:block2x16:bf16:u32",
        "e2m1:block32:ue8m0:u32",
        "e4m3:block32:f32:native",
        "q4s:native",
        "q8s:block0",
        "q8s:block1x1x1x1x1x1"
    };
    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9.e]*");
    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** A {@code "name":{...}} entry (entries hold no nested braces). */
    private static final Pattern ENTRY = Pattern.compile("\"[^\"]*\":\\{[^{}]*\\}");

    @TempDir
    Path dir;

    static List<byte[]> corpus() {
        List<byte[]> c = new ArrayList<>();
        for (MalformedFileTest.Case k : MalformedFileTest.cases()) {
            c.add(k.bytes().get());
        }
        c.add(MalformedFileTest.file(MalformedFileTest.valid(), MalformedFileTest.DATA));
        c.add(MalformedFileTest.file(
                "{" + MalformedFileTest.Q_META + "," + MalformedFileTest.Q_CODES + "," + MalformedFileTest.Q_SCALES
                        + "}",
                MalformedFileTest.qData(0x7F81FF05, 0.5f)));
        return c;
    }

    /** The header text and data of a corpus file, when its length field is sane. */
    record Parts(String header, byte[] data) {
        static Parts of(byte[] file) {
            if (file.length < 8) {
                return null;
            }
            long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > file.length - 8) {
                return null;
            }
            return new Parts(
                    new String(file, 8, (int) n, StandardCharsets.UTF_8),
                    Arrays.copyOfRange(file, 8 + (int) n, file.length));
        }

        byte[] bytes() {
            return MalformedFileTest.file(header, data);
        }
    }

    /** Where the pattern matches, as [start, end) pairs. */
    static List<int[]> spans(Pattern p, String text) {
        Matcher m = p.matcher(text);
        List<int[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(new int[] {m.start(), m.end()});
        }
        return out;
    }

    /** One random change; returns a description for the failure message. */
    static byte[] mutate(byte[] base, SplittableRandom rnd, StringBuilder what) {
        Parts p = Parts.of(base);
        int kind = p == null ? 6 + rnd.nextInt(3) : rnd.nextInt(9);
        switch (kind) {
            case 0 -> {
                List<int[]> spans = spans(NUMBER, p.header());
                if (spans.isEmpty()) {
                    return mutate(base, rnd, what);
                }
                int[] s = spans.get(rnd.nextInt(spans.size()));
                String v = NUMBERS[rnd.nextInt(NUMBERS.length)];
                what.append("number at ").append(s[0]).append(" -> ").append(v).append("; ");
                return new Parts(p.header().substring(0, s[0]) + v + p.header().substring(s[1]), p.data()).bytes();
            }
            case 1 -> {
                String d = DTYPES[rnd.nextInt(DTYPES.length)];
                what.append("dtype -> ").append(d).append("; ");
                return new Parts(
                                p.header().replaceFirst("\"dtype\":\"[A-Z0-9_]*\"", "\"dtype\":\"" + d + "\""),
                                p.data())
                        .bytes();
            }
            case 2 -> {
                String s = SCHEMES[rnd.nextInt(SCHEMES.length)];
                what.append("scheme -> ").append(s).append("; ");
                return new Parts(
                                p.header()
                                        .replaceFirst(
                                                "scheme\\\\\":\\\\\"[^\\\\]*\\\\\"",
                                                "scheme\\\\\\\\\":\\\\\\\\\"" + s + "\\\\\\\\\""),
                                p.data())
                        .bytes();
            }
            case 3 -> {
                // Duplicate or drop one "name":{...} entry.
                List<int[]> spans = spans(ENTRY, p.header());
                if (spans.isEmpty()) {
                    return mutate(base, rnd, what);
                }
                int[] s = spans.get(rnd.nextInt(spans.size()));
                String entry = p.header().substring(s[0], s[1]);
                boolean drop = rnd.nextBoolean();
                what.append(drop ? "dropped " : "duplicated ").append(entry).append("; ");
                String h = drop
                        ? p.header().substring(0, s[0]) + p.header().substring(s[1])
                        : p.header().substring(0, s[1]) + ","
                                + entry.replaceFirst("^\"", "\"" + (char) ('a' + rnd.nextInt(3)))
                                + p.header().substring(s[1]);
                return new Parts(h.replace(",,", ",").replace("{,", "{").replace(",}", "}"), p.data()).bytes();
            }
            case 4 -> {
                // A control or bidi character (JSON-escaped, so the header stays valid) inside a string.
                List<int[]> strings = spans(QUOTED, p.header());
                if (strings.isEmpty()) {
                    return mutate(base, rnd, what);
                }
                int at = strings.get(rnd.nextInt(strings.size()))[0] + 1;
                String c = new String[] {"\\u001b[2J", "\\r", "\\u202e", "\\u0000", "\\u009b"}[rnd.nextInt(5)];
                what.append("inserted ").append(c).append(" at ").append(at).append("; ");
                return new Parts(p.header().substring(0, at) + c + p.header().substring(at), p.data()).bytes();
            }
            case 5 -> {
                byte[] data = Arrays.copyOf(p.data(), Math.max(0, p.data().length + rnd.nextInt(-8, 9)));
                what.append("data length ").append(data.length).append("; ");
                return new Parts(p.header(), data).bytes();
            }
            case 6 -> {
                byte[] b = base.clone();
                if (b.length > 0) {
                    int at = rnd.nextInt(b.length);
                    b[at] = (byte) rnd.nextInt(256);
                    what.append("byte ").append(at).append("; ");
                }
                return b;
            }
            case 7 -> {
                int len = base.length == 0 ? 0 : rnd.nextInt(base.length);
                what.append("cut to ").append(len).append("; ");
                return Arrays.copyOf(base, len);
            }
            default -> {
                byte[] b = base.length < 8 ? Arrays.copyOf(base, 8) : base.clone();
                long n = rnd.nextBoolean() ? rnd.nextLong() : b.length - 8 + rnd.nextInt(-12, 13);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
                what.append("length ").append(n).append("; ");
                return b;
            }
        }
    }

    /** Opens and reads everything, as inspect --compare and dequantize would. */
    static void readAll(Path f) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            for (SafetensorsEntry e : r.entries()) {
                // Sizes must be consistent and exact.
                e.elementCount();
                e.shapeLong();
                switch (e) {
                    case QuantizedInfo q -> {
                        assertTrue(q.elementCount() <= Shapes.MAX_ARRAY_LENGTH, q.toString());
                        r.readQuantized(q).dequantize();
                    }
                    case TensorInfo t when t.dtype().isQuantizable() -> r.readFloatTensor(t);
                    case TensorInfo t -> r.readBytes(t);
                }
            }
            r.warnings().forEach(w -> assertTrue(w.chars().noneMatch(c -> c < 0x20), w));
        }
    }

    @Test
    void mutatedHostileFilesFailOnlyWithAFormatErrorSafeToPrint() throws IOException {
        List<byte[]> corpus = corpus();
        SplittableRandom rnd = new SplittableRandom(SEED);
        Path f = dir.resolve("fuzz.safetensors");
        int readable = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = corpus.get(rnd.nextInt(corpus.size()));
            StringBuilder what = new StringBuilder();
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                b = mutate(b, rnd, what);
            }
            Files.write(f, b);
            try {
                readAll(f);
                readable++;
            } catch (SafetensorsFormatException e) {
                rejected++;
                String m = e.getMessage();
                assertTrue(m.startsWith(f.toString()), m);
                assertTrue(m.codePoints().noneMatch(DisplayText::needsEscape), "not safe to print: " + m);
            } catch (Throwable t) {
                fail("seed " + SEED + " round " + round + " (" + what + "): unexpected " + t, t);
            }
        }
        assertTrue(readable > ROUNDS / 50 && rejected > ROUNDS / 2, "readable " + readable + ", rejected " + rejected);
    }
}
