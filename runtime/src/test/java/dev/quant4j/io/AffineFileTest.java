package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Affine tensors in safetensors files: {@code NAME.__offsets} beside the scales, written and read back exactly. */
class AffineFileTest {
    @TempDir
    Path dir;

    private static QuantizedTensor quantized(String scheme, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 0.1 + 0.3);
        }
        return Kernels.scalar().quantize("w", FloatTensor.of(x, rows, cols), QuantScheme.parse(scheme));
    }

    private Path write(String name, QuantizedTensor... ts) throws IOException {
        Path f = dir.resolve(name);
        List<TensorSpec> specs = new java.util.ArrayList<>();
        for (int i = 0; i < ts.length; i++) {
            QuantizedTensor t = ts[i];
            specs.add(TensorSpec.quantized("w" + i, t.shape(), t.scheme(), () -> t));
        }
        SafetensorsWriter.write(f, Map.of(), specs);
        return f;
    }

    @Test
    void everyAffineSchemeRoundTripsBitForBitBesideASymmetricOne() throws IOException {
        QuantizedTensor[] ts = {
            quantized("q4f:block32:f16:affine", 3, 64, 1),
            quantized("q8f:block16:bf16:native:affine", 2, 48, 2),
            quantized("q2f:block2x8:f32:affine", 4, 24, 3),
            quantized("q8f:tensor:f16:affine", 5, 7, 4),
            quantized("q4f:block32:f16", 3, 64, 5)
        };
        Path f = write("a.safetensors", ts);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(ts.length, r.entries().size(), "offsets are part of their tensor's entry");
            for (int i = 0; i < ts.length; i++) {
                QuantizedInfo info = (QuantizedInfo) r.entry("w" + i);
                QuantizedTensor back = r.readQuantized("w" + i);
                assertEquals(ts[i].scheme(), back.scheme());
                assertArrayEquals(ts[i].codes(), back.codes());
                assertArrayEquals(ts[i].scales(), back.scales());
                assertArrayEquals(ts[i].offsets(), back.offsets());
                assertEquals(ts[i].byteSize(), info.byteSize());
                if (ts[i].isAffine()) {
                    assertEquals("w" + i + ".__offsets", info.offsets().name());
                    assertEquals(info.scales().dtype(), info.offsets().dtype());
                    assertArrayEquals(info.scales().shape(), info.offsets().shape());
                } else {
                    assertNull(info.offsets());
                }
            }
            assertEquals(Dtype.U8, r.tensor("w1").dtype(), "native affine codes are unsigned bytes");
        }
        MiniReader mini = MiniReader.read(f);
        assertTrue(
                mini.tensors.containsKey("w0.__offsets") && !mini.tensors.containsKey("w4.__offsets"),
                mini.tensors.keySet().toString());
    }

    /** The header text of a file. */
    private static String header(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(file, 8, (int) n, StandardCharsets.UTF_8);
    }

    private static byte[] data(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(file, 8 + (int) n, file.length);
    }

    private SafetensorsFormatException failure(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsReader r = SafetensorsReader.open(f)) {
                r.readQuantized("w0");
            }
        });
    }

    @Test
    void readersCheckTheOffsetsTensor() throws IOException {
        byte[] good = Files.readAllBytes(write("g.safetensors", quantized("q4f:block32:f16:affine", 2, 32, 9)));
        String header = header(good);
        byte[] data = data(good);
        assertTrue(header.contains("\"w0.__offsets\":{\"dtype\":\"F16\",\"shape\":[2,1]"), header);

        SafetensorsFormatException missing =
                failure("m.safetensors", MalformedFileTest.file(header.replace("w0.__offsets", "w0.__offsetz"), data));
        assertEquals("w0", missing.tensor());
        assertTrue(
                missing.getMessage().contains("the affine tensor has no offsets tensor 'w0.__offsets'"),
                missing.getMessage());

        SafetensorsFormatException dtype = failure(
                "d.safetensors",
                MalformedFileTest.file(
                        header.replace("\"w0.__offsets\":{\"dtype\":\"F16\"", "\"w0.__offsets\":{\"dtype\":\"I16\""),
                        data));
        assertEquals("w0.__offsets", dtype.tensor());
        assertTrue(
                dtype.getMessage()
                        .contains("the offsets of a q4f:block32:f16:u32:affine tensor of shape [2, 32] are"
                                + " F16[2, 1], but the file holds I16[2, 1]"),
                dtype.getMessage());

        // The offsets come last: put an F16 NaN (0x7E00) in the first one.
        byte[] nan = data.clone();
        int at = header.indexOf("\"w0.__offsets\"");
        String offs = header.substring(header.indexOf("data_offsets\":[", at) + 15);
        int begin = Integer.parseInt(offs.substring(0, offs.indexOf(',')));
        nan[begin] = 0x00;
        nan[begin + 1] = 0x7E;
        SafetensorsFormatException bad = failure("n.safetensors", MalformedFileTest.file(header, nan));
        assertEquals("w0.__offsets", bad.tensor());
        assertTrue(bad.getMessage().contains("offset 0 is NaN; offsets must be finite"), bad.getMessage());

        byte[] negScale = data.clone();
        int sAt = header.indexOf("\"w0.__scales\"");
        String sOffs = header.substring(header.indexOf("data_offsets\":[", sAt) + 15);
        int sBegin = Integer.parseInt(sOffs.substring(0, sOffs.indexOf(',')));
        negScale[sBegin + 1] |= (byte) 0x80;
        SafetensorsFormatException neg = failure("s.safetensors", MalformedFileTest.file(header, negScale));
        assertTrue(
                neg.getMessage().contains("affine scales must be finite non-negative F16 values other than -0.0"),
                neg.getMessage());
    }
}
