package dev.quant4j.it.support;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.Vector;

/**
 * Reads a quantized field element by element, re-reading the field on every iteration, twice over: the loop the
 * agent must neither turn into one dequantization per element (with a cache) nor leave unexplained (without one).
 * Prints the dequantizations each loop cost and the fields the agent warned about.
 */
public final class LoopReadMain {
    private LoopReadMain() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int reads = Integer.parseInt(args[1]);
        Vector v = new Vector(n, 7);
        v.quantizeWeights();
        float[] sums = new float[2];
        for (int loop = 0; loop < 2; loop++) {
            long before = ((Number) QuantizedFields.status().get("dequantizations")).longValue();
            float s = 0;
            for (int i = 0; i < reads; i++) {
                s += v.values[i % n];
            }
            long after = ((Number) QuantizedFields.status().get("dequantizations")).longValue();
            sums[loop] = s;
            System.out.println("loop" + loop + ".dequantizations=" + (after - before));
        }
        float[] hoisted = v.values;
        float expected = 0;
        for (int i = 0; i < reads; i++) {
            expected += hoisted[i % n];
        }
        for (int loop = 0; loop < 2; loop++) {
            System.out.println(
                    "loop" + loop + ".sameSum=" + (Float.floatToIntBits(sums[loop]) == Float.floatToIntBits(expected)));
        }
        System.out.println("warned=" + QuantizedFields.status().get("repeatedDequantizationWarnings"));
    }
}
