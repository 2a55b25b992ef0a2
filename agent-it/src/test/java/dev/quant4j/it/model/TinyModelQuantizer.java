package dev.quant4j.it.model;

import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * Written by hand to do what {@code Quantization.quantizeWeights} does for plain array fields: quantize the
 * current array, then hand the quantized tensor to the store with the code that clears the field; the store
 * publishes the tensor before it clears the field. The store is looked up first, so without the agent nothing is
 * lost: the error comes first.
 */
public final class TinyModelQuantizer {
    private static final Quantizer Q8 = Quantizer.of("q8s");
    private static final Quantizer Q4_BLOCK = Quantizer.of("q4s:block32");

    private TinyModelQuantizer() {}

    public static void quantizeWeights(TinyModel m) {
        if (m.embedding != null) {
            String path = "model.embedding";
            QuantizedTensor q = Q8.quantize(path, FloatTensor.vector(m.embedding));
            FieldStore store = FieldHooks.requireStore(path);
            store.replaceWithQuantized(m, "dev.quant4j.it.model.TinyModel#embedding", q, () -> m.embedding = null);
        }
        for (int i = 0; i < m.blocks.length; i++) {
            quantizeWeights(m.blocks[i], "model.blocks[" + i + "]");
        }
    }

    static void quantizeWeights(Block b, String path) {
        if (b.gate != null) {
            QuantizedTensor q = Q8.quantize(path + ".gate", FloatTensor.vector(b.gate));
            FieldStore store = FieldHooks.requireStore(path + ".gate");
            store.replaceWithQuantized(b, "dev.quant4j.it.model.Block#gate", q, () -> b.gate = null);
        }
        quantizeWeights(b.attention, path + ".attention");
    }

    static void quantizeWeights(Attention a, String path) {
        if (a.query != null) {
            float[][] rows = a.query;
            int cols = rows.length == 0 ? 0 : rows[0].length;
            float[] flat = new float[rows.length * cols];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, flat, r * cols, cols);
            }
            QuantizedTensor q = Q8.quantize(path + ".query", FloatTensor.of(flat, rows.length, cols));
            FieldStore store = FieldHooks.requireStore(path + ".query");
            store.replaceWithQuantized(a, "dev.quant4j.it.model.Attention#query", q, () -> a.query = null);
        }
        if (a.key != null) {
            QuantizedTensor q = Q4_BLOCK.quantize(path + ".key", FloatTensor.of(a.key, a.dim, a.dim));
            FieldStore store = FieldHooks.requireStore(path + ".key");
            store.replaceWithQuantized(a, "dev.quant4j.it.model.Attention#key", q, () -> a.key = null);
        }
    }
}
