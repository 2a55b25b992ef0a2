package dev.quant4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.errors.AgentNotActiveException;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.MemoryFieldStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a saved quantized model without the agent: the file is checked against the model first. */
class ModelFilesLoadTest {
    @TempDir
    Path dir;

    @AfterEach
    void noAgent() {
        FieldHooks.install(null);
    }

    private Path savedQuantized(int rows, int cols) throws Exception {
        TinyModel model = new TinyModel(rows, cols, 1);
        model.w = new float[rows * cols];
        model.m = new float[][] {new float[3], new float[3]};
        model.h = QuantizableTensor.of(new float[6], 2, 3);
        model.bias = new float[5];
        model.blocks[0].wq = QuantizableTensor.of(new float[4], 4);
        model.extra.get(0).wq = QuantizableTensor.of(new float[2], 2);
        Path file = dir.resolve("model-" + rows + "x" + cols + ".safetensors");
        MemoryFieldStore.install();
        Quantization.quantizeWeights(model);
        ModelFiles.save(model, file);
        FieldHooks.install(null);
        return file;
    }

    private static TinyModel empty(int rows, int cols) {
        return new TinyModel(rows, cols, 1);
    }

    /** Loading {@code file} into {@code model} fails with {@code type}, its message naming {@code part}. */
    private static void assertLoadFails(Class<? extends Exception> type, TinyModel model, Path file, String part) {
        Exception e = assertThrows(type, () -> ModelFiles.load(model, file));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void aFileOfAnotherShapeReportsTheShapeNotTheMissingAgent() throws Exception {
        TinyModel other = empty(8, 8);
        assertLoadFails(
                IllegalArgumentException.class,
                other,
                savedQuantized(4, 16),
                "field 'w' has shape [8, 8] but the state holds [4, 16]");
        assertNull(other.w, "nothing loaded");
    }

    @Test
    void aFileThatFitsReportsTheMissingAgent() throws Exception {
        TinyModel same = empty(4, 16);
        assertLoadFails(AgentNotActiveException.class, same, savedQuantized(4, 16), "field 'w'");
        assertNull(same.h, "nothing loaded");
    }

    /** The saved file split into two shards with an index, as a Hugging Face checkpoint comes. */
    private Path sharded(Path file) throws Exception {
        Path out = Files.createDirectories(dir.resolve("sharded"));
        List<TensorSpec> first = new ArrayList<>();
        List<TensorSpec> second = new ArrayList<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            int i = 0;
            for (SafetensorsEntry e : r.entries()) {
                TensorSpec spec = switch (e) {
                    case QuantizedInfo q -> TensorSpec.quantized(q.name(), r.readQuantized(q));
                    case TensorInfo t -> TensorSpec.floats(t.name(), r.readFloatTensor(t), Dtype.F32);
                };
                (i++ % 2 == 0 ? first : second).add(spec);
            }
        }
        Path a = out.resolve("model-00001-of-00002.safetensors");
        Path b = out.resolve("model-00002-of-00002.safetensors");
        SafetensorsWriter.write(a, Map.of(), first);
        SafetensorsWriter.write(b, Map.of(), second);
        ShardedCheckpoint.writeIndex(out, List.of(a, b));
        return out;
    }

    @Test
    void aShardedCheckpointLoadsAsTheSingleFileDoes() throws Exception {
        Path file = savedQuantized(4, 16);
        Path shards = sharded(file);
        MemoryFieldStore.install();
        TinyModel fromFile = empty(4, 16);
        ModelFiles.load(fromFile, file);
        TinyModel fromShards = empty(4, 16);
        ModelFiles.load(fromShards, shards);
        Map<String, Object> a = Quantization.exportState(fromFile);
        Map<String, Object> b = Quantization.exportState(fromShards);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            if (a.get(k) instanceof QuantizedTensor q) {
                var r = (QuantizedTensor) b.get(k);
                assertArrayEquals(q.codes(), r.codes(), k);
                assertArrayEquals(q.scales(), r.scales(), k);
            } else {
                assertEquals(a.get(k), b.get(k), k);
            }
        }
    }

    @Test
    void aMissingShardIsAClearError() throws Exception {
        Path shards = sharded(savedQuantized(4, 16));
        Files.delete(shards.resolve("model-00002-of-00002.safetensors"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ModelFiles.load(empty(4, 16), shards));
        assertTrue(
                e.getMessage().contains("model-00002-of-00002.safetensors")
                        && e.getMessage().contains("missing"),
                e.getMessage());
    }
}
