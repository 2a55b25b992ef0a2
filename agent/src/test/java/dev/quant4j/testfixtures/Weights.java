package dev.quant4j.testfixtures;

import dev.quant4j.annotations.Quantize;

/** A weight holder: two @Quantize fields (flat and rows) and a plain float[] field that must stay untouched. */
public class Weights {
    @Quantize
    public float[] w;

    @Quantize
    public float[][] rows;

    public float[] plain;

    public Weights() {}

    public Weights(float[] w) {
        this.w = w;
    }

    public float[] readW() {
        return w;
    }

    public float[][] readRows() {
        return rows;
    }

    public float[] readPlain() {
        return plain;
    }

    public void writeW(float[] v) {
        w = v;
    }

    public void writeRows(float[][] v) {
        rows = v;
    }

    public void writePlain(float[] v) {
        plain = v;
    }

    /** Reads the field inside a loop and an expression, so the rewritten code runs through branches and frames. */
    public double sumW() {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += w[i] * (i % 2 == 0 ? 1 : 1);
        }
        return s;
    }
}
