package dev.quant4j.model;

import dev.quant4j.fields.AgentNotActiveException;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.testing.MemoryFieldStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading a saved quantized model without the agent: the file is checked against the model first. */
class ModelFilesLoadTest {
    @TempDir
    Path dir;

    @AfterEach
    void noAgent() {
        QuantizedFields.install(null);
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
        QuantizedFields.install(null);
        return file;
    }

    private static TinyModel empty(int rows, int cols) {
        return new TinyModel(rows, cols, 1);
    }

    @Test
    void aFileOfAnotherShapeReportsTheShapeNotTheMissingAgent() throws Exception {
        Path file = savedQuantized(4, 16);
        TinyModel other = empty(8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(other, file));
        assertTrue(e.getMessage().contains("field 'w' has shape [8, 8] but the state holds [4, 16]"), e.getMessage());
        assertNull(other.w, "nothing loaded");
    }

    @Test
    void aFileThatFitsReportsTheMissingAgent() throws Exception {
        Path file = savedQuantized(4, 16);
        TinyModel same = empty(4, 16);
        AgentNotActiveException e = assertThrows(AgentNotActiveException.class, () -> ModelFiles.load(same, file));
        assertTrue(e.getMessage().contains("field 'w'"), e.getMessage());
        assertNull(same.h, "nothing loaded");
    }
}
