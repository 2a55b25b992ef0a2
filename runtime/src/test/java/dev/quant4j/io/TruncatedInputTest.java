package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mapped input cut short by another program while it is read: the reads fault (the JVM raises
 * InternalError) or a copy's write fails with EFAULT. Each must be an IOException that names the file
 * and says it was truncated, and a write in progress must leave nothing behind.
 */
class TruncatedInputTest {
    @TempDir
    Path dir;

    /** 64 KiB of F32 and a quantized tensor after it, so their pages lie past the cut. */
    Path model() throws IOException {
        Path f = dir.resolve("in.safetensors");
        float[] x = new float[1 << 14];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7;
        }
        SafetensorsWriter.write(
                f,
                Map.of(),
                List.of(
                        TensorSpec.floats("w", FloatTensor.vector(x), Dtype.F32),
                        TensorSpec.quantized(
                                "q",
                                dev.quant4j.kernels.Kernels.scalar()
                                        .quantize(
                                                "q",
                                                FloatTensor.vector(x),
                                                dev.quant4j.scheme.QuantScheme.parse("q8s:block32")))));
        return f;
    }

    void check(String what, Function<SafetensorsReader, Executable> read) throws IOException {
        Path f = model();
        long size = Files.size(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(r.dataStart() + 8);
            }
            FileChangedException e = assertThrows(FileChangedException.class, read.apply(r), what);
            assertEquals(
                    f + " was truncated while it was being read (" + size + " bytes when opened, " + (r.dataStart() + 8)
                            + " now)",
                    e.getMessage(),
                    what);
            assertEquals(f, e.file());
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    List.of("in.safetensors"),
                    s.map(p -> p.getFileName().toString()).toList(),
                    what);
        }
        Files.delete(f);
    }

    @Test
    void readsOfATruncatedInputNameTheFile() throws IOException {
        check("readFloats", r -> () -> r.readFloats(r.tensor("w")));
        check("readBytes", r -> () -> r.readBytes(r.tensor("w")));
        check("readQuantized", r -> () -> r.readQuantized("q"));
        check(
                "copy",
                r -> () -> SafetensorsWriter.write(
                        dir.resolve("out.safetensors"), Map.of(), List.of(TensorSpec.copyOf(r, r.tensor("w")))));
    }
}
