package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;

/** Quantized fields in a subclass of a Cloneable base that declares {@code clone()}. */
public class DerivedLayer extends CloneableBase {
    public static final String KEY = "dev.quant4j.it.model.DerivedLayer#weights";

    @Quantize
    public float[] weights;

    public DerivedLayer(int size, long seed) {
        this.weights = Weights.flat(size, seed);
    }
}
