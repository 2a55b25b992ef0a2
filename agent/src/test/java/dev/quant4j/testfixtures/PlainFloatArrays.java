package dev.quant4j.testfixtures;

/** float[] fields without @Quantize: parsed (the scan cannot tell) but left unchanged. */
public class PlainFloatArrays {
    public float[] a = new float[3];
    public float[][] b;

    public float[] get() {
        return a;
    }

    public float[][] rows() {
        return b;
    }
}
