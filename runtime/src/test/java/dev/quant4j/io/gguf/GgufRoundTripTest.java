package dev.quant4j.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    static FloatTensor randomTensor(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 8 : 1));
        }
        return FloatTensor.of(v, shape);
    }

    @Test
    void everyTwinSchemeRoundTripsWithItsCodesScalesAndFloatsBitForBit() throws IOException {
        for (String text :
                List.of("q8s:block32:f16", "q4f:block32:f16", "e2m1:block32:ue8m0", "q8s:block32:f16:native")) {
            QuantScheme scheme = QuantScheme.parse(text);
            QuantizedTensor q = new Quantizer(scheme).quantize("w", randomTensor(text.hashCode(), 3, 5, 64));
            Path f = dir.resolve(text.replace(':', '_') + ".gguf");
            GgufWriter.write(f, Map.of(), List.of(GgufWriter.Tensor.quantized("w", q)));
            try (GgufReader r = GgufReader.open(f)) {
                GgufReader.TensorInfo t = r.tensor("w");
                assertArrayEquals(new long[] {64, 5, 3}, t.ne(), "ggml dims are ours reversed");
                assertEquals(GgmlBlocks.twin(scheme, q.shape()), t.type());
                assertEquals(
                        2L,
                        r.metadata().get(GgufWriter.QUANTIZATION_VERSION_KEY).asLong());
                assertEquals(
                        GgufValue.Type.UINT32,
                        r.metadata().get(GgufWriter.QUANTIZATION_VERSION_KEY).type());
                QuantizedTensor back = r.readQuantized(t);
                assertNotNull(back, text);
                assertArrayEquals(q.scales(), back.scales(), text);
                for (int i = 0; i < q.size(); i++) {
                    assertEquals(q.code(i), back.code(i), text + " code " + i);
                }
                float[] ours = q.dequantize().data();
                float[] ggml = r.readFloatTensor(t).data();
                for (int i = 0; i < ours.length; i++) {
                    float expected = ours[i] == 0 && text.startsWith("e2m1") ? 0f : ours[i];
                    assertEquals(
                            Float.floatToRawIntBits(expected),
                            Float.floatToRawIntBits(ggml[i]),
                            text + " element " + i);
                }
            }
        }
    }

    @Test
    void floatTypesRoundTrip() throws IOException {
        FloatTensor x = randomTensor(7, 4, 6);
        Path f = dir.resolve("floats.gguf");
        GgufWriter.write(
                f,
                Map.of(),
                List.of(
                        GgufWriter.Tensor.floats("a", x, GgmlType.F32),
                        GgufWriter.Tensor.floats("b", x, GgmlType.F16),
                        GgufWriter.Tensor.floats("c", x, GgmlType.BF16)));
        try (GgufReader r = GgufReader.open(f)) {
            assertFalse(r.metadata().containsKey(GgufWriter.QUANTIZATION_VERSION_KEY), "nothing is quantized");
            assertArrayEquals(x.data(), r.readFloatTensor(r.tensor("a")).data());
            float[] h = r.readFloatTensor(r.tensor("b")).data();
            float[] b = r.readFloatTensor(r.tensor("c")).data();
            for (int i = 0; i < x.size(); i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(x.data()[i])), h[i]);
                assertEquals(bf16(x.data()[i]), b[i]);
            }
            assertArrayEquals(new int[] {4, 6}, r.readFloatTensor(r.tensor("c")).shape());
            assertNull(r.readQuantized(r.tensor("a")), "f32 has no quantized twin");
        }
    }

    @Test
    void everyMetadataTypeRoundTripsWithItsType() throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("t.u8", GgufValue.uint8(255));
        kv.put("t.i8", new GgufValue(GgufValue.Type.INT8, null, -128L));
        kv.put("t.u16", GgufValue.uint16(65535));
        kv.put("t.i16", new GgufValue(GgufValue.Type.INT16, null, -32768L));
        kv.put("t.u32", GgufValue.uint32(0xFFFF_FFFFL));
        kv.put("t.i32", GgufValue.int32(Integer.MIN_VALUE));
        kv.put("t.f32", GgufValue.float32(-1.5f));
        kv.put("t.bool", GgufValue.bool(true));
        kv.put("t.str", GgufValue.string("héllo ∑"));
        kv.put("t.u64", GgufValue.uint64(-1L));
        kv.put("t.i64", GgufValue.int64(Long.MIN_VALUE));
        kv.put("t.f64", GgufValue.float64(Math.PI));
        kv.put("t.strs", GgufValue.strings(List.of("[CLS]", "", "##ing")));
        kv.put("t.f32s", GgufValue.float32s(new float[] {1, -2, Float.NaN}));
        kv.put("t.i32s", GgufValue.integers(GgufValue.Type.INT32, new long[] {1, -1, 3}));
        kv.put("t.bools", new GgufValue(GgufValue.Type.ARRAY, GgufValue.Type.BOOL, new boolean[] {true, false}));
        kv.put("t.f64s", new GgufValue(GgufValue.Type.ARRAY, GgufValue.Type.FLOAT64, new double[] {0.25}));
        kv.put(GgufReader.ALIGNMENT_KEY, GgufValue.uint32(64));
        Path f = dir.resolve("kv.gguf");
        FloatTensor x = randomTensor(3, 3);
        GgufWriter.write(
                f,
                kv,
                List.of(
                        GgufWriter.Tensor.floats("a", x, GgmlType.F32),
                        GgufWriter.Tensor.floats("b", x, GgmlType.F32)));
        try (GgufReader r = GgufReader.open(f)) {
            assertEquals(kv, r.metadata());
            assertEquals(64, r.alignment());
            assertEquals(0, r.dataStart() % 64);
            assertEquals(64, r.tensor("b").offset(), "each tensor padded to the alignment");
            assertArrayEquals(x.data(), r.readFloatTensor(r.tensor("b")).data());
        }
    }

    @Test
    void aSchemeWithNoGgmlTwinIsRefusedNamingTheSchemesThatMap() {
        QuantizedTensor q = Quantizer.of("q4s:block32:f32").quantize("w", randomTensor(1, 2, 32));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GgufWriter.Tensor.quantized("w", q));
        assertTrue(e.getMessage().contains("q8s:block32:f16 (Q8_0)"), e.getMessage());
        QuantizedTensor odd = Quantizer.of("q8s:block32:f16").quantize("w", randomTensor(1, 2, 40));
        e = assertThrows(IllegalArgumentException.class, () -> GgufWriter.Tensor.quantized("w", odd));
        assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
    }

    @Test
    void negativeGgmlScalesBecomeNonNegativeScalesWithNegatedCodes() {
        // Q4_0 as ggml's quantizer writes it: d = max / -8 is negative when the largest |x| is positive.
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(Float.floatToFloat16(-0.5f));
        for (int j = 0; j < 16; j++) {
            b.put((byte) ((1 + j % 15) | (15 - j % 15) << 4));
        }
        MemorySegment seg = MemorySegment.ofArray(b.array());
        QuantizedTensor q = GgmlBlocks.decodeExact(seg, GgmlType.Q4_0, new int[] {32});
        assertNotNull(q);
        float[] ggml = new float[32];
        GgmlBlocks.dequantize(seg, GgmlType.Q4_0, ggml);
        float[] ours = q.dequantize().data();
        for (int i = 0; i < 32; i++) {
            // Equal as numbers; ggml's (8 - 8) * -0.5 is -0.0 where our 0 * 0.5 is +0.0.
            assertTrue(ggml[i] == ours[i], "element " + i + ": " + ggml[i] + " vs " + ours[i]);
            if (ggml[i] != 0) {
                assertEquals(Float.floatToRawIntBits(ggml[i]), Float.floatToRawIntBits(ours[i]));
            }
        }
        // A code of 0 with a negative scale means +8 * |d|: Q4F cannot hold it, so the tensor stays floats.
        b.put(2, (byte) 0);
        assertNull(GgmlBlocks.decodeExact(seg, GgmlType.Q4_0, new int[] {32}));
    }

    /** Q8_0 and F32 tensors in a file built here byte by byte from the GGUF spec, not by our writer. */
    @Test
    void readsAFileBuiltByteByByteFromTheSpec() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(2).putLong(2);
        putString(b, "general.architecture");
        b.putInt(8);
        putString(b, "test");
        putString(b, "general.alignment");
        b.putInt(4).putInt(16);
        putString(b, "q");
        b.putInt(2).putLong(32).putLong(2).putInt(8).putLong(0); // ne = [32, 2], Q8_0, 68 bytes
        putString(b, "f");
        b.putInt(1).putLong(3).putInt(0).putLong(80); // 68 padded to 16 = 80
        while (b.position() % 16 != 0) {
            b.put((byte) 0);
        }
        int data = b.position();
        for (int row = 0; row < 2; row++) {
            b.putShort(Float.floatToFloat16(row == 0 ? 0.25f : 2f));
            for (int j = 0; j < 32; j++) {
                b.put((byte) (j - 16));
            }
        }
        b.position(data + 80);
        b.putFloat(1f).putFloat(-2f).putFloat(3.5f);
        Path f = dir.resolve("spec.gguf");
        Files.write(f, java.util.Arrays.copyOf(b.array(), b.position()));
        try (GgufReader r = GgufReader.open(f)) {
            assertEquals("test", r.metadata().get("general.architecture").asString());
            assertEquals(data, r.dataStart());
            float[] q = r.readFloatTensor(r.tensor("q")).data();
            assertEquals(-16 * 0.25f, q[0]);
            assertEquals(15 * 2f, q[63]);
            assertArrayEquals(new int[] {2, 32}, r.intShape(r.tensor("q")));
            QuantizedTensor qt = r.readQuantized(r.tensor("q"));
            assertEquals("q8s:block32:f16:u32", qt.scheme().toString());
            assertArrayEquals(q, qt.dequantize().data());
            assertArrayEquals(
                    new float[] {1f, -2f, 3.5f},
                    r.readFloatTensor(r.tensor("f")).data());
        }
    }

    /** Round to nearest even on bfloat16 (the values here are finite). */
    static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
    }

    static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }
}
