package dev.quant4j.it.model;

import dev.quant4j.fields.FieldStore;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/**
 * Written by hand to do what the annotation processor's generated visitor does for plain array fields:
 * quantize the current array, write null to the field (the rewritten write drops older quantized data),
 * then hand the quantized tensor to the store. The store is looked up before the field is cleared, so
 * without the agent nothing is lost: the error comes first.
 */
public final class TinyModelQuantizer {
    private static final Quantizer Q8 = Quantizer.of("q8s");
    private static final Quantizer Q4_BLOCK = Quantizer.of("q4s:block32");

    private TinyModelQuantizer() {
    }

    public static void quantizeWeights(TinyModel m) {
        if (m.embedding != null) {
            String path = "model.embedding";
            QuantizedTensor q = Q8.quantize(path, FloatTensor.vector(m.embedding));
            FieldStore store = QuantizedFields.requireStore(path);
            m.embedding = null;
            store.store(m, "dev.quant4j.it.model.TinyModel#embedding", q);
        }
        for (int i = 0; i < m.blocks.length; i++) {
            quantizeWeights(m.blocks[i], "model.blocks[" + i + "]");
        }
    }

    static void quantizeWeights(Block b, String path) {
        if (b.gate != null) {
            QuantizedTensor q = Q8.quantize(path + ".gate", FloatTensor.vector(b.gate));
            FieldStore store = QuantizedFields.requireStore(path + ".gate");
            b.gate = null;
            store.store(b, "dev.quant4j.it.model.Block#gate", q);
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
            FieldStore store = QuantizedFields.requireStore(path + ".query");
            a.query = null;
            store.store(a, "dev.quant4j.it.model.Attention#query", q);
        }
        if (a.key != null) {
            QuantizedTensor q = Q4_BLOCK.quantize(path + ".key", FloatTensor.of(a.key, a.dim, a.dim));
            FieldStore store = QuantizedFields.requireStore(path + ".key");
            a.key = null;
            store.store(a, "dev.quant4j.it.model.Attention#key", q);
        }
    }
}
