package dev.quant4j.it;

import static dev.quant4j.testkit.Identity.assertSame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.Attention;
import dev.quant4j.it.model.Block;
import dev.quant4j.it.model.TinyModel;
import dev.quant4j.it.model.TinyModelQuantizer;
import dev.quant4j.tensor.QuantizedTensor;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads, writes and nulls of @Quantize fields under the real agent, from the declaring classes and from here. */
class FieldAccessTest {
    private static final String EMBEDDING = "dev.quant4j.it.model.TinyModel#embedding";
    private static final String GATE = "dev.quant4j.it.model.Block#gate";
    private static final String QUERY = "dev.quant4j.it.model.Attention#query";
    private static final String KEY = "dev.quant4j.it.model.Attention#key";

    private static float[] dequantized(Object owner, String key) {
        QuantizedTensor q = QuantizedFields.quantized(owner, key);
        assertNotNull(q, "no quantized data for " + key);
        return q.dequantize().data();
    }

    @Test
    void theAgentIsActive() {
        assertTrue(QuantizedFields.agentActive(), "run under -javaagent: " + QuantizedFields.status());
    }

    @Test
    void readsReturnTheDequantizedValuesAfterQuantizeWeights() {
        TinyModel m = new TinyModel(64, 2, 1);
        TinyModelQuantizer.quantizeWeights(m);

        assertArrayEquals(dequantized(m, EMBEDDING), m.embedding);
        for (Block b : m.blocks) {
            assertArrayEquals(dequantized(b, GATE), b.gate);
            assertArrayEquals(dequantized(b.attention, KEY), b.attention.key, "q4 block field, nested two deep");
        }
        assertEquals(
                "q4s:block32:f32:u32",
                QuantizedFields.quantized(m.blocks[1].attention, KEY).scheme().toString());
    }

    @Test
    void rowFieldsReadAsRowsOfTheQuantizedMatrix() {
        TinyModel m = new TinyModel(64, 1, 2);
        TinyModelQuantizer.quantizeWeights(m);
        Attention a = m.blocks[0].attention;
        float[] flat = dequantized(a, QUERY);
        float[][] rows = a.query;
        assertEquals(64, rows.length);
        for (int r = 0; r < rows.length; r++) {
            assertArrayEquals(Arrays.copyOfRange(flat, r * 64, r * 64 + 64), rows[r], "row " + r);
        }
        assertEquals(flat[5 * 64 + 7], a.query[5][7], 0f, "element access through the field");
    }

    @Test
    void unchangedInferenceCodeComputesWithTheDequantizedWeights() {
        TinyModel quantized = new TinyModel(32, 3, 3);
        TinyModelQuantizer.quantizeWeights(quantized);
        // The same model in float32, holding exactly the dequantized values: forward must agree bit for bit.
        TinyModel reference = new TinyModel(32, 3, 99);
        reference.embedding = dequantized(quantized, EMBEDDING);
        reference.bias = quantized.bias;
        for (int i = 0; i < 3; i++) {
            Block q = quantized.blocks[i];
            Block r = reference.blocks[i];
            r.gate = dequantized(q, GATE);
            r.attention.key = dequantized(q.attention, KEY);
            r.attention.query = q.attention.query;
        }
        assertArrayEquals(reference.forward(), quantized.forward());
    }

    @Test
    void theFloatArrayIsReleasedAfterQuantization() throws InterruptedException {
        TinyModel m = new TinyModel(4096, 0, 4);
        WeakReference<float[]> original = new WeakReference<>(m.embedding);
        assertSame(original.get(), m.embedding, "before quantization a read returns the field's own array");
        TinyModelQuantizer.quantizeWeights(m);
        for (int i = 0; i < 50 && original.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(original.get(), "the float32 array is still reachable after quantizeWeights");
        assertArrayEquals(dequantized(m, EMBEDDING), m.embedding);
    }

    @Test
    void aWriteReplacesTheWeightsAndALaterQuantizeWeightsQuantizesAgain() {
        TinyModel m = new TinyModel(64, 0, 5);
        TinyModelQuantizer.quantizeWeights(m);
        float[] replacement = new float[64];
        Arrays.fill(replacement, 0.25f);
        m.embedding = replacement;
        assertSame(replacement, m.embedding, "the written array is the field's value");
        assertNull(QuantizedFields.quantized(m, EMBEDDING), "the quantized data was dropped");

        TinyModelQuantizer.quantizeWeights(m);
        QuantizedTensor again = QuantizedFields.quantized(m, EMBEDDING);
        assertNotNull(again);
        float[] read = m.embedding;
        assertArrayEquals(again.dequantize().data(), read);
        for (float v : read) {
            assertEquals(0.25f, v, 0.25f / 127, "the new weights, quantized");
        }
    }

    @Test
    void nullStaysNull() {
        TinyModel m = new TinyModel(16, 0, 6);
        m.embedding = null;
        TinyModelQuantizer.quantizeWeights(m);
        assertNull(m.embedding, "a null field is not quantized and reads as null");
        assertNull(QuantizedFields.quantized(m, EMBEDDING));

        TinyModel q = new TinyModel(16, 0, 7);
        TinyModelQuantizer.quantizeWeights(q);
        assertNotNull(q.embedding);
        q.embedding = null;
        assertNull(q.embedding, "writing null clears quantized weights");
        assertNull(QuantizedFields.quantized(q, EMBEDDING));
    }

    @Test
    void beforeQuantizationReadsReturnTheFieldsOwnArray() {
        TinyModel m = new TinyModel(16, 1, 8);
        float[] own = new float[16];
        m.embedding = own;
        assertSame(own, m.embedding);
        assertSame(m.bias, m.bias);
        assertNull(QuantizedFields.quantized(m, EMBEDDING));
    }

    @Test
    void plainFieldsNextToQuantizedOnesStayFloat32() {
        TinyModel m = new TinyModel(16, 0, 9);
        float[] bias = m.bias;
        TinyModelQuantizer.quantizeWeights(m);
        assertSame(bias, m.bias);
    }

    @Test
    void theStatusListsTheRewrittenClassesAndNotTheOthers() {
        Map<String, Object> status = QuantizedFields.status();
        assertEquals(true, status.get("agentActive"));
        @SuppressWarnings("unchecked")
        Map<String, String> rewritten = (Map<String, String>) status.get("rewrittenClasses");
        for (String c : new String[] {
            "dev.quant4j.it.model.TinyModel",
            "dev.quant4j.it.model.Block",
            "dev.quant4j.it.model.Attention",
            "dev.quant4j.it.model.TinyModelQuantizer",
            "dev.quant4j.it.FieldAccessTest"
        }) {
            assertTrue(rewritten.containsKey(c), c + " missing from " + rewritten.keySet());
        }
        assertFalse(
                rewritten.containsKey("dev.quant4j.it.model.Weights"), "touches float arrays but no @Quantize field");
        // JUnit's Cloneable classes get their super.clone() hooked (a subclass could hold quantized fields), nothing
        // else.
        assertFalse(
                rewritten.entrySet().stream()
                        .anyMatch(e -> e.getKey().startsWith("org.junit.")
                                && !e.getValue().matches("reads=0, writes=0, clones=\\d+")),
                rewritten.toString());
        assertTrue(((Number) status.get("classesSeen")).longValue() > rewritten.size());
    }
}
