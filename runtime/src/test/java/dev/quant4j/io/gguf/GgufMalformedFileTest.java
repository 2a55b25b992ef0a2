package dev.quant4j.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile GGUF files, built here byte by byte: each fault of ggml's hardened loader gets its clear error
 * with the byte offset; then thousands of seeded mutations of valid files get either a clean read or a
 * {@link GgufFormatException}, never another exception.
 */
class GgufMalformedFileTest {
    @TempDir
    Path dir;

    /** A GGUF file as parts; a case edits one part. */
    static final class Bytes {
        int magic = GgufReader.MAGIC;
        int version = 3;
        Long nTensors;
        Long nKv;
        final List<byte[]> kvs = new ArrayList<>();
        final List<byte[]> infos = new ArrayList<>();
        int alignment = 32;
        byte[] data = new byte[0];

        Bytes kv(String key, int type, byte[] value) {
            Le b = new Le().string(key).i32(type);
            b.out.writeBytes(value);
            kvs.add(b.out.toByteArray());
            return this;
        }

        Bytes tensor(String name, long[] ne, int type, long offset) {
            Le b = new Le().string(name).i32(ne.length);
            for (long d : ne) {
                b.i64(d);
            }
            infos.add(b.i32(type).i64(offset).out.toByteArray());
            return this;
        }

        /** A valid file: two keys, a Q8_0 [32, 2] tensor and an F32 [3] tensor. */
        static Bytes valid() {
            Bytes b = new Bytes();
            b.kv("general.architecture", 8, new Le().string("test").bytes());
            b.kv("test.count", 4, new Le().i32(7).bytes());
            b.tensor("q", new long[] {32, 2}, 8, 0);
            b.tensor("f", new long[] {3}, 0, 96);
            b.data = new byte[96 + 12];
            b.data[0] = 0;
            b.data[1] = 0x3C; // d = 1.0
            b.data[2] = -5;
            return b;
        }

        /** The offset the first tensor info would start at. */
        int infosStart() {
            return 24 + kvs.stream().mapToInt(a -> a.length).sum();
        }

        byte[] build() {
            Le b = new Le()
                    .i32(magic)
                    .i32(version)
                    .i64(nTensors != null ? nTensors : infos.size())
                    .i64(nKv != null ? nKv : kvs.size());
            kvs.forEach(b.out::writeBytes);
            infos.forEach(b.out::writeBytes);
            while (b.out.size() % alignment != 0) {
                b.out.write(0);
            }
            b.out.writeBytes(data);
            return b.bytes();
        }
    }

    /** Little-endian bytes. */
    static final class Le {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Le i32(int v) {
            for (int i = 0; i < 4; i++) {
                out.write(v >>> 8 * i);
            }
            return this;
        }

        Le i64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> 8 * i));
            }
            return this;
        }

        Le string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.writeBytes(b);
            return this;
        }

        Le raw(int... bytes) {
            for (int x : bytes) {
                out.write(x);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    record Case(String name, Consumer<Bytes> edit, String message, long offset) {}

    static byte[] le(java.util.function.UnaryOperator<Le> f) {
        return f.apply(new Le()).bytes();
    }

    static List<Case> cases() {
        int kv0 = 24; // first key/value
        int kv1 = 24 + 8 + 20 + 4 + 8 + 4; // after general.architecture = "test"
        return List.of(
                new Case("bad magic", b -> b.magic = 0x46554746, "GGUF magic", 0),
                new Case("version 1", b -> b.version = 1, "version 1 is not supported", 4),
                new Case("version 4", b -> b.version = 4, "version 4 is not supported", 4),
                new Case("big-endian version", b -> b.version = 3 << 24, "big-endian", 4),
                new Case("negative tensor count", b -> b.nTensors = -1L, "tensor count 18446744073709551615", 8),
                new Case("tensor count past the file", b -> b.nTensors = 1L << 40, "cannot fit", 8),
                new Case("key count past the file", b -> b.nKv = 1L << 50, "cannot fit", 16),
                new Case("key count one too many", b -> b.nKv = 3L, "", -4),
                new Case(
                        "key length past the file",
                        b -> b.kvs.set(0, le(l -> l.i64(1L << 40))),
                        "has length 1099511627776",
                        kv0),
                new Case("negative key length", b -> b.kvs.set(0, le(l -> l.i64(-5))), "has length", kv0),
                new Case("empty key", b -> b.kv("", 4, le(l -> l.i32(1))), "the key is empty", -2),
                new Case("duplicate key", b -> b.kv("test.count", 4, le(l -> l.i32(1))), "appears twice", -2),
                new Case(
                        "invalid UTF-8 key",
                        b -> b.kvs.set(
                                1, le(l -> l.i64(2).raw(0xC3, 0x28).i32(4).i32(0))),
                        "not valid UTF-8",
                        kv1 + 8),
                new Case("unknown value type", b -> b.kv("x.y", 13, new byte[4]), "value type 13 is unknown", -2),
                new Case("array of arrays", b -> b.kv("x.y", 9, le(l -> l.i32(9).i64(1))), "array of arrays", -2),
                new Case(
                        "unknown array element type",
                        b -> b.kv("x.y", 9, le(l -> l.i32(77).i64(0))),
                        "element type 77",
                        -2),
                new Case(
                        "array longer than the file",
                        b -> b.kv("x.y", 9, le(l -> l.i32(4).i64(1L << 33))),
                        "8589934592 elements",
                        -2),
                new Case(
                        "negative array length",
                        b -> b.kv("x.y", 9, le(l -> l.i32(0).i64(-1))),
                        "elements",
                        -2),
                new Case(
                        "string array longer than the file",
                        b -> b.kv("x.y", 9, le(l -> l.i32(8).i64(1L << 20))),
                        "1048576 elements of STRING",
                        -2),
                new Case("bool 2", b -> b.kv("x.y", 7, new byte[] {2}), "only 0 and 1", -2),
                new Case(
                        "bool 255 in an array",
                        b -> b.kv("x.y", 9, le(l -> l.i32(7).i64(2).raw(1, 255))),
                        "only 0 and 1",
                        -2),
                new Case(
                        "truncated value",
                        b -> {
                            b.kvs.set(1, le(l -> l.string("test.count").i32(11).raw(1, 2)));
                            b.infos.clear();
                            b.data = new byte[0];
                            b.alignment = 1;
                        },
                        "INT64 value needs 8 bytes but only 2 are left",
                        -2),
                new Case(
                        "alignment as INT32",
                        b -> b.kv(GgufReader.ALIGNMENT_KEY, 5, le(l -> l.i32(32))),
                        "requires a UINT32",
                        -1),
                new Case(
                        "alignment 0",
                        b -> b.kv(GgufReader.ALIGNMENT_KEY, 4, le(l -> l.i32(0))),
                        "not a power of two",
                        -1),
                new Case(
                        "alignment 48",
                        b -> b.kv(GgufReader.ALIGNMENT_KEY, 4, le(l -> l.i32(48))),
                        "not a power of two",
                        -1),
                new Case(
                        "64-byte tensor name",
                        b -> b.infos.set(1, tensorInfo("x".repeat(64), 3)),
                        "64 bytes; ggml allows at most 63",
                        -3),
                new Case("duplicate tensor name", b -> b.infos.set(1, tensorInfo("q", 3)), "two tensors", -3),
                new Case(
                        "5 dimensions",
                        b -> b.infos.set(1, le(l -> l.string("f").i32(5))),
                        "n_dims is 5",
                        -4),
                new Case(
                        "negative n_dims",
                        b -> b.infos.set(1, le(l -> l.string("f").i32(-1))),
                        "n_dims is",
                        -4),
                new Case(
                        "negative dimension",
                        b -> b.infos.set(1, le(l -> l.string("f").i32(1).i64(-3))),
                        "is negative",
                        -5),
                new Case(
                        "element count overflow",
                        b -> b.infos.set(
                                1,
                                le(l -> l.string("f")
                                        .i32(3)
                                        .i64(1L << 31)
                                        .i64(1L << 31)
                                        .i64(1L << 31))),
                        "more elements than",
                        -6),
                new Case(
                        "byte count overflow",
                        b -> b.infos.set(1, tensorInfo("f", 28, 96, 1L << 31, 1L << 31)),
                        "more bytes than",
                        -4),
                new Case("unknown type id", b -> b.infos.set(1, tensorInfo("f", 4, 96, 3)), "type id 4 is unknown", -7),
                new Case(
                        "row not a multiple of the block",
                        b -> b.infos.set(0, tensorInfo("q", 8, 0, 33, 2)),
                        "not a multiple of q8_0's block size 32",
                        -4),
                new Case("gap between tensors", b -> b.infos.set(1, tensorInfo("f", 0, 128, 3)), "expected 96", -8),
                new Case("unaligned offset", b -> b.infos.set(1, tensorInfo("f", 0, 68, 3)), "expected 96", -8),
                new Case("data past the end", b -> b.data = Arrays.copyOf(b.data, 100), "past the end of the file", -3),
                new Case("version 0", b -> b.version = 0, "version 0 is not supported", 4));
    }

    static byte[] tensorInfo(String name, long n) {
        return tensorInfo(name, 0, 96, n);
    }

    /** The info of a tensor of ggml type {@code type} with these dimensions, its data at {@code offset}. */
    static byte[] tensorInfo(String name, int type, long offset, long... dims) {
        return le(l -> {
            l.string(name).i32(dims.length);
            for (long d : dims) {
                l.i64(d);
            }
            return l.i32(type).i64(offset);
        });
    }

    @Test
    void theBaseFileIsValid() throws IOException {
        Path f = dir.resolve("valid.gguf");
        Files.write(f, Bytes.valid().build());
        try (GgufReader r = GgufReader.open(f)) {
            assertEquals(2, r.tensors().size());
            assertEquals(7L, r.metadata().get("test.count").asLong());
            assertEquals(-5f, r.readFloatTensor(r.tensor("q")).data()[0]);
        }
    }

    /**
     * Offsets: a non-negative number is the exact byte offset; -1 means the fault has none (a key's type);
     * -2 means "the offset of the last key/value", -3 the second tensor info's start, and -4 .. -8 points
     * inside the changed tensor info (checked to be inside it).
     */
    @Test
    void everyFaultGetsItsClearErrorWithTheByteOffset() throws IOException {
        for (Case c : cases()) {
            Bytes b = Bytes.valid();
            c.edit().accept(b);
            byte[] file = b.build();
            Path f = dir.resolve("case.gguf");
            Files.write(f, file);
            GgufFormatException e = assertThrows(
                    GgufFormatException.class, () -> GgufReader.open(f).close(), c.name());
            assertTrue(e.getMessage().contains(c.message()), c.name() + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith(f.toString()), c.name() + ": " + e.getMessage());
            long lastKv = b.infosStart() - (b.kvs.isEmpty() ? 0 : b.kvs.getLast().length);
            long secondInfo = b.infosStart() + (b.infos.isEmpty() ? 0 : b.infos.getFirst().length);
            if (c.offset() >= 0) {
                assertEquals(c.offset(), e.offset(), c.name() + ": " + e.getMessage());
            } else if (c.offset() == -1) {
                assertEquals(-1, e.offset(), c.name());
            } else if (c.offset() == -2) {
                assertTrue(
                        e.offset() >= lastKv && e.offset() < b.infosStart() + 1,
                        c.name() + ": " + e.offset() + " not in the last key/value [" + lastKv + ", " + b.infosStart()
                                + ")");
            } else if (c.offset() == -3) {
                long first = b.infosStart();
                assertTrue(e.offset() == secondInfo || e.offset() == first, c.name() + ": " + e.offset());
            } else {
                long end = b.infosStart()
                        + b.infos.stream().mapToInt(a -> a.length).sum();
                assertTrue(
                        e.offset() >= b.infosStart() && e.offset() < end,
                        c.name() + ": " + e.offset() + " not in the tensor infos [" + b.infosStart() + ", " + end
                                + ")");
            }
        }
    }

    @Test
    void aFileShorterThanAHeaderIsTruncated() throws IOException {
        Path f = dir.resolve("short.gguf");
        Files.write(f, Arrays.copyOf(Bytes.valid().build(), 20));
        GgufFormatException e =
                assertThrows(GgufFormatException.class, () -> GgufReader.open(f).close());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** Seeded mutations of valid files: bytes changed, runs overwritten, the file cut short. */
    @Test
    void mutatedFilesGiveACleanReadOrAGgufFormatExceptionNeverAnotherException() throws IOException {
        Path base = dir.resolve("written.gguf");
        GgufWriter.write(
                base,
                Map.of(
                        "general.architecture",
                        GgufValue.string("test"),
                        "test.list",
                        GgufValue.strings(List.of("a", "bb", "ccc")),
                        "test.scores",
                        GgufValue.float32s(new float[] {1, 2, 3})),
                List.of(
                        GgufWriter.Tensor.quantized(
                                "q",
                                dev.quant4j.quantize.Quantizer.of("q4f:block32:f16")
                                        .quantize("q", GgufRoundTripTest.randomTensor(1, 2, 64))),
                        GgufWriter.Tensor.floats("f", GgufRoundTripTest.randomTensor(2, 5), GgmlType.F16)));
        List<byte[]> seeds = List.of(Files.readAllBytes(base), Bytes.valid().build());
        Random random = new Random(13);
        Path f = dir.resolve("mutant.gguf");
        int rejected = 0;
        int read = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] seed = seeds.get(i % seeds.size());
            byte[] m = seed.clone();
            switch (random.nextInt(4)) {
                case 0 -> m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                case 1 -> {
                    // Overwrite a run in the header with an extreme value (lengths, counts, dims, types).
                    int at = random.nextInt(Math.max(1, Math.min(m.length, 400) - 8));
                    long v = switch (random.nextInt(4)) {
                        case 0 -> -1L;
                        case 1 -> Long.MIN_VALUE;
                        case 2 -> 1L << random.nextInt(63);
                        default -> random.nextLong();
                    };
                    for (int k = 0; k < 8 && at + k < m.length; k++) {
                        m[at + k] = (byte) (v >>> 8 * k);
                    }
                }
                case 2 -> m = Arrays.copyOf(m, random.nextInt(m.length));
                default -> {
                    for (int k = 0; k < 4; k++) {
                        m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                    }
                }
            }
            Files.write(f, m);
            try (GgufReader r = GgufReader.open(f)) {
                for (GgufReader.TensorInfo t : r.tensors()) {
                    try {
                        if (t.type().readable()) {
                            r.readState(t);
                        }
                    } catch (GgufFormatException tooLarge) {
                        assertTrue(tooLarge.getMessage().contains("per tensor"), tooLarge.getMessage());
                    }
                }
                read++;
            } catch (GgufFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                rejected++;
            } catch (RuntimeException | Error e) {
                fail("mutation " + i + " threw " + e, e);
            }
        }
        assertEquals(3000, rejected + read);
        assertTrue(rejected > 1000 && read > 100, rejected + " rejected, " + read + " read");
    }
}
