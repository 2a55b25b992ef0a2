package dev.quant4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    private List<String> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static TensorSpec ok(String name) {
        return TensorSpec.floats(name, FloatTensor.vector(new float[] {1, 2, 3}), Dtype.F32);
    }

    /** The writer's refusal of these tensors and metadata, before it writes anything. */
    private static IllegalArgumentException refusedToWrite(
            Path dest, Map<String, String> metadata, TensorSpec... specs) {
        return assertThrows(
                IllegalArgumentException.class, () -> SafetensorsWriter.write(dest, metadata, List.of(specs)));
    }

    @Test
    void aFailingProducerLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path dest = dir.resolve("out.safetensors");
        byte[] before = "previous contents".getBytes();
        Files.write(dest, before);
        float[] bad = {1f, Float.NaN, 3f};
        IOException io = assertThrows(
                IOException.class,
                () -> SafetensorsWriter.write(
                        dest, Map.of(), List.of(ok("a"), TensorSpec.floats("b", new int[] {3}, Dtype.F32, () -> {
                            throw new IOException("disk went away");
                        }))));
        assertEquals("disk went away", io.getMessage());
        assertEquals(List.of("out.safetensors"), folder());
        assertArrayEquals(before, Files.readAllBytes(dest));

        // A quantizer that rejects its input half way through the file.
        NonFiniteValueException nf = assertThrows(
                NonFiniteValueException.class,
                () -> SafetensorsWriter.write(
                        dest,
                        Map.of(),
                        List.of(
                                ok("a"),
                                TensorSpec.quantized(
                                        "w",
                                        new int[] {3},
                                        QuantScheme.parse("q8s"),
                                        () -> Kernels.scalar()
                                                .quantize("w", FloatTensor.vector(bad), QuantScheme.parse("q8s"))))));
        assertTrue(nf.getMessage().contains("'w'") && nf.getMessage().contains("index 1"), nf.getMessage());
        assertEquals(List.of("out.safetensors"), folder());
        assertArrayEquals(before, Files.readAllBytes(dest));
    }

    @Test
    void aSourceThatWritesTheWrongSizeIsCaught() throws IOException {
        Path dest = dir.resolve("out.safetensors");
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> SafetensorsWriter.write(
                        dest,
                        Map.of(),
                        List.of(new TensorSpec.Raw(
                                "short", Dtype.I32, new long[] {2}, sink -> sink.write(new byte[7])))));
        assertTrue(
                e.getMessage().contains("'short'") && e.getMessage().contains("takes 8 bytes but its source wrote 7"),
                e.getMessage());
        IllegalStateException p = assertThrows(
                IllegalStateException.class,
                () -> SafetensorsWriter.write(
                        dest, Map.of(), List.of(TensorSpec.floats("f", new int[] {4}, Dtype.F16, () -> new float[3]))));
        assertTrue(p.getMessage().contains("declared with 4 elements but its producer gave 3"), p.getMessage());
        FloatTensor t = FloatTensor.vector(new float[] {1, 2, 3, 4});
        IllegalStateException q = assertThrows(
                IllegalStateException.class,
                () -> SafetensorsWriter.write(
                        dest,
                        Map.of(),
                        List.of(TensorSpec.quantized(
                                "q",
                                new int[] {4},
                                QuantScheme.parse("q8s"),
                                () -> Kernels.scalar().quantize("q", t, QuantScheme.parse("q4s"))))));
        assertTrue(
                q.getMessage().contains("declared as q8s:tensor:f32:u32[4] but its producer gave q4s"), q.getMessage());
        assertEquals(List.of(), folder());
    }

    @Test
    void namesAndMetadataAreCheckedBeforeAnythingIsWritten() throws IOException {
        Path dest = dir.resolve("out.safetensors");
        QuantScheme q8 = QuantScheme.parse("q8s");
        FloatTensor t = FloatTensor.vector(new float[] {1, 2});
        refusedToWrite(dest, Map.of(), ok("a"), ok("a"));
        IllegalArgumentException clash = refusedToWrite(
                dest, Map.of(), TensorSpec.quantized("w", Kernels.scalar().quantize("w", t, q8)), ok("w.__scales"));
        assertTrue(clash.getMessage().contains("'w.__scales'"), clash.getMessage());
        refusedToWrite(dest, Map.of(), ok("__metadata__"));
        IllegalArgumentException reserved = refusedToWrite(dest, Map.of("quant4j.x", "1"), ok("a"));
        assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
        refusedToWrite(dest, Map.of(), ok("bad\ud800"));
        IllegalArgumentException scheme = assertThrows(
                IllegalArgumentException.class,
                () -> TensorSpec.quantized("v", new int[] {8}, QuantScheme.parse("q8s:block2x4"), () -> null));
        assertTrue(scheme.getMessage().contains("tensor 'v' of shape [8]"), scheme.getMessage());
        assertEquals(List.of(), folder());
    }

    @Test
    void theDestinationFolderMustExist() {
        Path dest = dir.resolve("missing").resolve("out.safetensors");
        NoSuchFileException e = assertThrows(
                NoSuchFileException.class, () -> SafetensorsWriter.write(dest, Map.of(), List.of(ok("a"))));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        IOException folder =
                assertThrows(IOException.class, () -> SafetensorsWriter.write(dir, Map.of(), List.of(ok("a"))));
        assertTrue(folder.getMessage().contains("is a folder"), folder.getMessage());
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path dest = dir.resolve("out.safetensors");
        Files.write(dest, new byte[1000]);
        SafetensorsWriter.write(dest, Map.of(), List.of(ok("a")));
        try (SafetensorsReader r = SafetensorsReader.open(dest)) {
            assertArrayEquals(new float[] {1, 2, 3}, r.readFloatTensor("a").data());
        }
        assertEquals(List.of("out.safetensors"), folder());
    }
}
