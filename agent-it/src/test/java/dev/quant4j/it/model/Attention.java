package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;

/** The innermost module: one quantized matrix kept as rows, one as a flat row-major array. */
public class Attention {
    @Quantize
    public float[][] query;

    @Quantize(scheme = "q4s:block32")
    public float[] key;

    public final int dim;

    public Attention(int dim, long seed) {
        this.dim = dim;
        this.query = Weights.rows(dim, dim, seed);
        this.key = Weights.flat(dim * dim, seed + 1);
    }

    /** Ordinary inference code: reads the fields as if they were plain arrays. */
    public float[] project(float[] x) {
        float[] out = new float[dim];
        for (int r = 0; r < dim; r++) {
            float s = 0;
            for (int c = 0; c < dim; c++) {
                s += query[r][c] * x[c] + key[r * dim + c] * x[c];
            }
            out[r] = s;
        }
        return out;
    }
}
