package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.testing.TestFloats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random damage to a valid file (byte flips, mostly in the header; truncation; a changed header length;
 * bytes inserted or removed) must give either a readable file or a {@link SafetensorsFormatException}:
 * never an index, null-pointer, arithmetic, out-of-memory or other unplanned exception.
 */
class SafetensorsFuzzTest {
    private static final long SEED = 0xF022L;
    private static final int ROUNDS = 3000;

    @TempDir
    Path dir;

    private byte[] validFile() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        float[] x = TestFloats.of(12 * 40, rnd::nextGaussian);
        FloatTensor t = FloatTensor.of(x, 12, 40);
        Path f = dir.resolve("base.safetensors");
        SafetensorsWriter.write(
                f,
                Map.of("format", "pt"),
                List.of(
                        TensorSpec.floats("emb.weight", t, Dtype.BF16),
                        quantized("q4", t, "q4s:block2x16:f16"),
                        quantized("e4", t, "e4m3:native:block32:ue8m0"),
                        quantized("e2", t, "e2m1:block32:ue8m0"),
                        TensorSpec.bytes("ids", Dtype.I64, new long[] {3}, new byte[24]),
                        TensorSpec.floats("norm", FloatTensor.vector(Arrays.copyOf(x, 40)), Dtype.F32)));
        return Files.readAllBytes(f);
    }

    private static TensorSpec quantized(String name, FloatTensor t, String scheme) {
        return TensorSpec.quantized(name, Kernels.scalar().quantize(name, t, QuantScheme.parse(scheme)));
    }

    @Test
    void damagedFilesFailOnlyWithTheFormatException() throws IOException {
        byte[] base = validFile();
        long headerLength = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
        SplittableRandom rnd = new SplittableRandom(SEED);
        Path f = dir.resolve("fuzz.safetensors");
        int readable = 0;
        int rejected = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = base.clone();
            String what;
            switch (rnd.nextInt(6)) {
                case 0, 1 -> {
                    int flips = 1 + rnd.nextInt(4);
                    StringBuilder sb = new StringBuilder("header flips");
                    for (int i = 0; i < flips; i++) {
                        int at = 8 + rnd.nextInt((int) headerLength);
                        byte v = (byte)
                                (rnd.nextBoolean()
                                        ? rnd.nextInt(256)
                                        : "{}[],:\"0123456789-. e\\".charAt(rnd.nextInt(22)));
                        b[at] = v;
                        sb.append(' ').append(at).append('=').append(v);
                    }
                    what = sb.toString();
                }
                case 2 -> {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                    what = "bit flip at " + at;
                }
                case 3 -> {
                    int len = rnd.nextInt(b.length);
                    b = Arrays.copyOf(b, len);
                    what = "truncated to " + len;
                }
                case 4 -> {
                    long len = rnd.nextBoolean() ? rnd.nextLong() : headerLength + rnd.nextInt(-16, 17);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
                    what = "header length " + len;
                }
                default -> {
                    int at = 8 + rnd.nextInt((int) headerLength);
                    int n = 1 + rnd.nextInt(8);
                    byte[] c = new byte[b.length - n];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + n, c, at, b.length - at - n);
                    b = c;
                    what = "removed " + n + " header bytes at " + at;
                }
            }
            Files.write(f, b);
            try (SafetensorsReader r = SafetensorsReader.open(f)) {
                for (SafetensorsEntry e : r.entries()) {
                    switch (e) {
                        case QuantizedInfo q -> r.readQuantized(q).dequantize();
                        case TensorInfo t when t.dtype().isQuantizable() -> r.readFloatTensor(t);
                        case TensorInfo t -> r.readBytes(t);
                    }
                }
                readable++;
            } catch (SafetensorsFormatException expected) {
                rejected++;
                assertTrue(expected.getMessage().startsWith(f.toString()), expected.getMessage());
            } catch (Throwable t) {
                fail("seed " + SEED + " round " + round + " (" + what + "): unexpected " + t, t);
            }
        }
        // Both outcomes must occur, or the mutations are not testing anything.
        assertTrue(readable > 100 && rejected > 1000, "readable " + readable + ", rejected " + rejected);
    }
}
