package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;

/**
 * A small model with weights as plain array fields: the shape of an existing Java inference engine, made
 * quantizable by annotations alone.
 */
public class TinyModel {
    @Quantize
    public float[] embedding;
    /** Not annotated: stays float32 and is never touched by the agent. */
    public float[] bias;

    public final Block[] blocks;
    public final int dim;

    public TinyModel(int dim, int blocks, long seed) {
        this.dim = dim;
        this.embedding = Weights.flat(dim, seed);
        this.bias = Weights.flat(dim, seed + 1);
        this.blocks = new Block[blocks];
        for (int i = 0; i < blocks; i++) {
            this.blocks[i] = new Block(dim, seed + 100 * (i + 1));
        }
    }

    public float[] forward() {
        float[] x = new float[dim];
        for (int i = 0; i < dim; i++) {
            x[i] = embedding[i] + bias[i];
        }
        for (Block b : blocks) {
            x = b.forward(x);
        }
        return x;
    }
}
