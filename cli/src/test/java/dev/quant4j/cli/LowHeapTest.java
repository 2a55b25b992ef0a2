package dev.quant4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI streams: a file three times the size of the heap quantizes and dequantizes in a child JVM
 * with -Xmx32m. A single tensor larger than that heap fails with the out-of-heap message (exit 1) and
 * leaves nothing behind.
 */
class LowHeapTest {
    private static final String HEAP = "-Xmx32m";
    private static final int TENSORS = 24;
    private static final int ROWS = 1024;
    private static final int COLS = 1024;

    @TempDir
    Path dir;

    private static float[] tensor(int i, int n) {
        SplittableRandom rnd = new SplittableRandom(0x10E4L + i);
        float[] x = new float[n];
        for (int k = 0; k < n; k++) {
            x[k] = (float) rnd.nextGaussian();
        }
        return x;
    }

    record Child(int code, String out, String err) {}

    private Child runChild(String... args) throws IOException, InterruptedException {
        List<String> cmd = ChildCli.command(List.of(HEAP), args);
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not finish in 5 minutes: " + cmd);
        }
        Child c = new Child(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return c;
    }

    @Test
    void aFileThreeTimesTheHeapStreamsThroughQuantizeAndDequantize() throws Exception {
        Path in = dir.resolve("big.safetensors");
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < TENSORS; i++) {
            int k = i;
            specs.add(TensorSpec.floats(
                    "layers." + i + ".weight", new int[] {ROWS, COLS}, Dtype.F32, () -> tensor(k, ROWS * COLS)));
        }
        SafetensorsWriter.write(in, Map.of(), specs);
        long size = Files.size(in);
        assertTrue(size > 3L * 32 * 1024 * 1024, "the input should be 3x the child's heap; it is " + size);

        Path q = dir.resolve("big.q.safetensors");
        Child quantize = runChild(
                "quantize",
                in.toString(),
                q.toString(),
                "--scheme",
                "q4f:block32:f16",
                "--rule",
                "layers.0.*=q8s:block32:f16",
                "--progress=never");
        assertEquals(0, quantize.code(), quantize.err());
        assertTrue(quantize.err().contains("quantized 24 tensors"), quantize.err());

        Path dq = dir.resolve("big.dq.safetensors");
        Child dequantize = runChild("dequantize", q.toString(), dq.toString(), "--progress=never");
        assertEquals(0, dequantize.code(), dequantize.err());
        assertEquals(size, Files.size(dq), "F32 in, F32 out, same tensors");

        try (SafetensorsReader qr = SafetensorsReader.open(q);
                SafetensorsReader dr = SafetensorsReader.open(dq)) {
            List<SafetensorsEntry> entries = qr.entries();
            assertEquals(TENSORS, entries.size());
            assertEquals(
                    "q8s:block32:f16:u32",
                    assertInstanceOf(QuantizedInfo.class, entries.get(0))
                            .scheme()
                            .toString());
            for (int i : new int[] {0, TENSORS - 1}) {
                QuantizedInfo info = assertInstanceOf(QuantizedInfo.class, entries.get(i));
                float[] want = qr.readQuantized(info).dequantize().data();
                TensorInfo t = dr.tensor(info.name());
                float[] got = dr.readFloats(t);
                float[] original = tensor(i, ROWS * COLS);
                double noise = 0;
                double signal = 0;
                for (int k = 0; k < want.length; k++) {
                    assertEquals(
                            Float.floatToRawIntBits(want[k]),
                            Float.floatToRawIntBits(got[k]),
                            info.name() + "[" + k + "]");
                    noise += (got[k] - (double) original[k]) * (got[k] - (double) original[k]);
                    signal += (double) original[k] * original[k];
                }
                double snr = 10 * Math.log10(signal / noise);
                assertTrue(i == 0 ? snr > 35 : snr > 15 && snr < 25, info.name() + " SNR " + snr);
            }
        }
    }

    @Test
    void aTensorLargerThanTheHeapFailsClearly() throws Exception {
        Path in = dir.resolve("one-big-tensor.safetensors");
        int n = 12 * 1024 * 1024;
        TensorSpec giant = TensorSpec.floats("giant", new int[] {n}, Dtype.F32, () -> new float[n]);
        SafetensorsWriter.write(in, Map.of(), List.of(giant));
        Path out = dir.resolve("out.safetensors");
        Child c = runChild("quantize", in.toString(), out.toString(), "--scheme", "q8s", "--progress=never");
        assertEquals(1, c.code(), c.err());
        assertTrue(c.err().contains("ran out of Java heap") && c.err().contains("on tensor 'giant'"), c.err());
        assertFalse(c.err().contains("\tat "), c.err());
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of("one-big-tensor.safetensors"),
                    files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
