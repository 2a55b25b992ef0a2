package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;

/** One quantized vector, with its hand-written quantizeWeights (what the processor generates). */
public class Vector {
    public static final String KEY = "dev.quant4j.it.model.Vector#values";
    private static final Quantizer Q8 = Quantizer.of("q8s");

    @Quantize
    public float[] values;

    public Vector(int n, long seed) {
        this.values = Weights.flat(n, seed);
    }

    /** A vector of {@code n} values from {@code seed}, already quantized. */
    public static Vector quantized(int n, long seed) {
        Vector v = new Vector(n, seed);
        v.quantizeWeights();
        return v;
    }

    public QuantizedTensor quantizeWeights() {
        QuantizedTensor q = Q8.quantize("vector.values", FloatTensor.vector(values));
        FieldStore store = FieldHooks.requireStore("vector.values");
        store.replaceWithQuantized(this, KEY, q, () -> values = null);
        return q;
    }

    public float sum() {
        float s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }
}
