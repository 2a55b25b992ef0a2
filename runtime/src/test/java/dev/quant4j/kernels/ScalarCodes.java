package dev.quant4j.kernels;

import dev.quant4j.tensor.QuantizedTensor;

/** What the check-vector and edge-case tests read back from a quantized tensor, through the scalar reference. */
public final class ScalarCodes {

    private ScalarCodes() {}

    /** Every element's code, in order. */
    public static int[] codes(QuantizedTensor t) {
        int[] c = new int[t.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = t.code(i);
        }
        return c;
    }

    /** The tensor dequantized by the scalar reference kernels. */
    public static float[] deq(QuantizedTensor t) {
        float[] out = new float[t.size()];
        Kernels.scalar().dequantize(t, out);
        return out;
    }
}
