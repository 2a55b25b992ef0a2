package dev.quant4j.it.memory;

import dev.quant4j.annotations.Quantize;

/** One layer of the large model: a plain float[] weight field. */
public class BigLayer {
    public static final String KEY = "dev.quant4j.it.memory.BigLayer#weights";

    @Quantize
    public float[] weights;

    public BigLayer(float[] weights) {
        this.weights = weights;
    }
}
