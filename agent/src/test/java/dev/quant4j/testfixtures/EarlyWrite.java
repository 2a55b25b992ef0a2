package dev.quant4j.testfixtures;

import dev.quant4j.annotations.Quantize;

/**
 * Writes the field before super() (a flexible constructor body, Java 25): passing the uninitialised
 * `this` to a hook would fail verification, so that write must stay plain.
 */
public class EarlyWrite {
    @Quantize
    public float[] w;

    public EarlyWrite(float[] first, float[] second) {
        if (first == null) {
            throw new IllegalArgumentException(new IllegalStateException("first"));
        }
        this.w = first;
        super();
        this.w = second;
    }

    public float[] readW() {
        return w;
    }
}
