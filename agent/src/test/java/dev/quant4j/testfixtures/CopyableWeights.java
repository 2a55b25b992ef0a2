package dev.quant4j.testfixtures;

import dev.quant4j.annotations.Quantize;
import java.io.Serializable;

/** Cloneable and Serializable, with no serialVersionUID of its own: the agent must keep the computed one. */
public class CopyableWeights implements Cloneable, Serializable {
    @Quantize
    public float[] w;

    public int n;

    @Override
    public CopyableWeights clone() {
        try {
            return (CopyableWeights) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
