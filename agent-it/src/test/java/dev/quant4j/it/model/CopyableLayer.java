package dev.quant4j.it.model;

import dev.quant4j.annotations.Quantize;
import java.io.Serializable;

/** A layer copied the two common ways: {@code clone()} (its own, through {@code super.clone()}) and serialization. */
public class CopyableLayer implements Cloneable, Serializable {
    public static final String KEY = "dev.quant4j.it.model.CopyableLayer#weights";
    private static final long serialVersionUID = 1L;

    @Quantize
    public float[] weights;

    public int size;
    public String name;
    /** Not serialized: comes back null. */
    public transient float[] scratch;

    public CopyableLayer(int size, long seed) {
        this.size = size;
        this.name = "layer-" + seed;
        this.weights = Weights.flat(size, seed);
        this.scratch = new float[1];
    }

    @Override
    public CopyableLayer clone() {
        try {
            return (CopyableLayer) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
