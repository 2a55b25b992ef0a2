package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;

/** A middle module: its own weights plus a nested module. */
public class Block {
    @Quantize
    public float[] gate;

    public final Attention attention;

    public Block(int dim, long seed) {
        this.gate = Weights.flat(dim, seed);
        this.attention = new Attention(dim, seed + 10);
    }

    public float[] forward(float[] x) {
        float[] y = attention.project(x);
        for (int i = 0; i < y.length; i++) {
            y[i] *= gate[i];
        }
        return y;
    }
}
