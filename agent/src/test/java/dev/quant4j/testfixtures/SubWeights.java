package dev.quant4j.testfixtures;

/** Reads the inherited field through its own type: the field reference names SubWeights, the field is in Weights. */
public class SubWeights extends Weights {
    public float[] readInherited() {
        return this.w;
    }
}
