package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.Packing;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    private static final long SEED = 0x5AFE7E45L;

    @TempDir
    Path dir;

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller; a few outliers and exact zeros make the blocks uneven.
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
            x[i] = rnd.nextInt(50) == 0 ? (float) (g * 20) : rnd.nextInt(40) == 0 ? 0f : (float) g;
        }
        return x;
    }

    private static int[] randomShape(SplittableRandom rnd) {
        int rank = rnd.nextInt(4);
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            int pick = rnd.nextInt(10);
            shape[i] = pick == 0 ? 0 : pick == 1 ? 1 : 1 + rnd.nextInt(70);
        }
        return shape;
    }

    @Test
    void floatDtypesRoundTripExactlyWhenRepresentable() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        Map<String, float[]> expected = new LinkedHashMap<>();
        Map<String, Dtype> dtypes = new LinkedHashMap<>();
        List<TensorSpec> specs = new ArrayList<>();
        int k = 0;
        for (Dtype dt : List.of(Dtype.F32, Dtype.F16, Dtype.BF16)) {
            for (int rep = 0; rep < 5; rep++) {
                int[] shape = rep == 0
                        ? new int[0]
                        : rep == 1 ? new int[] {0, 3} : new int[] {1 + rnd.nextInt(9), 1 + rnd.nextInt(40)};
                int n = (int) QuantizedLayout.elementCount(shape);
                float[] x = gaussian(rnd, n);
                for (int i = 0; i < n; i++) {
                    // Values on the target type's grid round-trip exactly; include signed zeros and extremes.
                    x[i] = switch (dt) {
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(x[i]));
                        case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xFFFF0000);
                        default -> x[i];
                    };
                }
                if (n > 2) {
                    x[0] = -0.0f;
                    x[1] = dt == Dtype.F16
                            ? 65504f
                            : dt == Dtype.BF16 ? -Float.intBitsToFloat(0x7F7F0000) : Float.MIN_VALUE;
                }
                String name = "t" + (k++) + "." + dt;
                expected.put(name, x);
                dtypes.put(name, dt);
                specs.add(TensorSpec.floats(name, FloatTensor.of(x, shape), dt));
            }
        }
        Path f = dir.resolve("floats.safetensors");
        SafetensorsWriter.write(f, Map.of("format", "pt"), specs);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertEquals(List.of(), r.warnings());
            assertEquals(expected.size(), r.entries().size());
            for (Map.Entry<String, float[]> e : expected.entrySet()) {
                TensorInfo t = r.tensor(e.getKey());
                assertEquals(dtypes.get(e.getKey()), t.dtype(), e.getKey());
                FloatTensor back = r.readFloatTensor(e.getKey());
                float[] want = e.getValue();
                assertEquals(want.length, back.size());
                for (int i = 0; i < want.length; i++) {
                    assertEquals(
                            Float.floatToRawIntBits(want[i]),
                            Float.floatToRawIntBits(back.data()[i]),
                            e.getKey() + " element " + i + " (seed " + SEED + ")");
                }
            }
        }
        MiniReader mini = MiniReader.read(f);
        assertEquals(expected.keySet(), mini.tensors.keySet());
    }

    @Test
    void sixteenBitWritesRoundToNearestEven() throws IOException {
        // Checked against an independent rule: the nearest of the two neighbours, ties to the even one.
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        float[] x = new float[4000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < 2000
                    ? (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-6, 6)))
                    : Float.intBitsToFloat((Float.floatToRawIntBits(rnd.nextFloat() + 1f) & 0xFFFF0000) | 0x8000);
        }
        Path f = dir.resolve("round.safetensors");
        SafetensorsWriter.write(
                f,
                Map.of(),
                List.of(
                        TensorSpec.floats("b", FloatTensor.vector(x), Dtype.BF16),
                        TensorSpec.floats("h", FloatTensor.vector(x), Dtype.F16)));
        MiniReader mini = MiniReader.read(f);
        ByteBuffer b = ByteBuffer.wrap(mini.tensors.get("b").data()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer h = ByteBuffer.wrap(mini.tensors.get("h").data()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i++) {
            int bits = Float.floatToRawIntBits(x[i]);
            int down = bits & 0xFFFF0000;
            int rest = bits & 0xFFFF;
            int want = rest > 0x8000 || (rest == 0x8000 && (down & 0x10000) != 0) ? down + 0x10000 : down;
            assertEquals(want >>> 16, b.getShort() & 0xFFFF, "bf16 of " + x[i]);
            assertEquals(Float.floatToFloat16(x[i]), h.getShort(), "f16 of " + x[i]);
        }
    }

    @Test
    void otherDtypesAreCarriedByteForByte() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 2);
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, byte[]> want = new LinkedHashMap<>();
        for (Dtype dt : Dtype.values()) {
            long[] shape = dt.bits() < 8 ? new long[] {2, 8} : new long[] {3, 1 + rnd.nextInt(5)};
            byte[] data = new byte[(int) dt.byteSize(shape[0] * shape[1])];
            rnd.nextBytes(data);
            specs.add(TensorSpec.bytes("x." + dt, dt, shape, data));
            want.put("x." + dt, data);
        }
        Path f = dir.resolve("raw.safetensors");
        SafetensorsWriter.write(f, Map.of(), specs);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            for (Map.Entry<String, byte[]> e : want.entrySet()) {
                TensorInfo t = r.tensor(e.getKey());
                assertArrayEquals(e.getValue(), r.readBytes(t), e.getKey());
                assertEquals(t.dtype().name(), e.getKey().substring(2));
            }
        }
    }

    /** Every value, level shape, param and store, on random shapes: read back bit for bit. */
    @Test
    void quantizedTensorsRoundTripBitForBit() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 3);
        List<QuantScheme> schemes = new ArrayList<>();
        for (QuantValue v : QuantValue.values()) {
            for (QuantParam p : QuantParam.values()) {
                for (QuantStore s : QuantStore.values()) {
                    for (int[] block : new int[][] {null, {32}, {2, 16}, {3}, {2, 3, 5}}) {
                        QuantScheme q =
                                QuantScheme.DEFAULT.withValue(v).withParam(p).withStore(s);
                        if (block != null) {
                            q = q.withBlockSize(block);
                        }
                        if (q.isValid()) {
                            schemes.add(q);
                        }
                    }
                }
            }
        }
        List<QuantizedTensor> written = new ArrayList<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < schemes.size(); i++) {
            QuantScheme scheme = schemes.get(i);
            int[] shape;
            do {
                shape = randomShape(rnd);
            } while (!scheme.problemsFor(shape).isEmpty());
            float[] x = gaussian(rnd, (int) QuantizedLayout.elementCount(shape));
            if (scheme.param() == QuantParam.F16) {
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.max(-1000f, Math.min(1000f, x[j]));
                }
            }
            QuantizedTensor q = Kernels.scalar().quantize("w" + i, FloatTensor.of(x, shape), scheme);
            written.add(q);
            specs.add(TensorSpec.quantized("w" + i, q));
        }
        Path f = dir.resolve("quantized.safetensors");
        SafetensorsWriter.write(f, Map.of("note", "round trip"), specs);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of("note", "round trip"), r.userMetadata());
            assertEquals(written.size(), r.entries().size());
            for (int i = 0; i < written.size(); i++) {
                QuantizedTensor want = written.get(i);
                SafetensorsEntry e = r.entries().get(i);
                assertEquals("w" + i, e.name());
                QuantizedInfo info = assertInstanceOf(QuantizedInfo.class, e);
                QuantizedTensor got = r.readQuantized(info);
                String what = "w" + i + " " + want + " (seed " + SEED + ")";
                assertArrayEquals(want.shape(), got.shape(), what);
                assertEquals(want.scheme(), got.scheme(), what);
                assertArrayEquals(want.codes(), got.codes(), what);
                assertEquals(want.scales().length, got.scales().length, what);
                for (int j = 0; j < want.scales().length; j++) {
                    assertEquals(
                            Float.floatToRawIntBits(want.scales()[j]),
                            Float.floatToRawIntBits(got.scales()[j]),
                            what + " scale " + j);
                }
                assertEquals(want.byteSize(), info.byteSize(), what);
            }
        }
        // Other readers see standard tensors: codes as U32 words (or int8 / float8 bytes), scales in their type.
        MiniReader mini = MiniReader.read(f);
        for (int i = 0; i < written.size(); i++) {
            QuantizedTensor want = written.get(i);
            MiniReader.Tensor codes = mini.tensors.get("w" + i);
            MiniReader.Tensor scales = mini.tensors.get("w" + i + ".__scales");
            assertArrayEquals(want.codes(), codes.data());
            if (want.packedInWords()) {
                assertEquals("U32", codes.dtype());
                ByteBuffer words = ByteBuffer.wrap(codes.data()).order(ByteOrder.LITTLE_ENDIAN);
                for (int w = 0; w < codes.shape()[0]; w++) {
                    assertEquals(Packing.word(want.codes(), w), words.getInt());
                }
            } else {
                assertEquals(
                        want.scheme().value() == QuantValue.E4M3
                                ? "F8_E4M3"
                                : want.scheme().value() == QuantValue.E5M2 ? "F8_E5M2" : "I8",
                        codes.dtype());
                assertArrayEquals(Arrays.stream(want.shape()).asLongStream().toArray(), codes.shape());
            }
            assertEquals(
                    switch (want.scheme().param()) {
                        case F32 -> "F32";
                        case F16 -> "F16";
                        case BF16 -> "BF16";
                        case UE8M0 -> "U8";
                    },
                    scales.dtype());
            String meta = mini.metadata.get("quant4j.w" + i);
            assertEquals(
                    "{\"scheme\":\"" + want.scheme() + "\",\"shape\":"
                            + Arrays.toString(want.shape()).replace(" ", "") + "}",
                    meta);
        }
    }

    @Test
    void entriesKeepDataOrderAndPairQuantizedTensors() throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 4);
        FloatTensor a = FloatTensor.of(gaussian(rnd, 64 * 64), 64, 64);
        QuantizedTensor q = Kernels.scalar().quantize("mid", a, QuantScheme.parse("q4f:block32:f16"));
        Path f = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(
                f,
                Map.of(),
                List.of(
                        TensorSpec.floats("first", a, Dtype.F32),
                        TensorSpec.quantized("mid", q),
                        TensorSpec.bytes("ids", Dtype.I64, new long[] {2}, new byte[16]),
                        // A tensor whose name merely looks like a scales tensor stays a plain tensor.
                        TensorSpec.floats("x.__scales", FloatTensor.vector(new float[] {1, 2}), Dtype.F32)));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(
                    List.of("first", "mid", "ids", "x.__scales"),
                    r.entries().stream().map(SafetensorsEntry::name).toList());
            assertEquals(5, r.tensors().size());
            QuantizedInfo info = assertInstanceOf(QuantizedInfo.class, r.entry("mid"));
            assertEquals(4.5, info.bitsPerWeight(), 1e-9); // 4 bits + one f16 scale per 32
            FloatTensor deq = r.readAsFloat32(info);
            assertEquals(q.dequantize(), deq);
            assertTrue(r.readAsFloat32(r.entry("first")).equals(a));
            assertEquals(0, r.dataStart() % 8);
        }
    }
}
