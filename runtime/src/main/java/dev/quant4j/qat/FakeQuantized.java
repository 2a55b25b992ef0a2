package dev.quant4j.qat;

import dev.quant4j.tensor.QuantizedTensor;
import java.util.Objects;

/**
 * The result of one fake-quantization forward: the real quantized tensor, its dequantized values (what the
 * forward computes with) and the straight-through mask (true where the element was inside the range).
 * The arrays are shared, not copied.
 */
public record FakeQuantized(QuantizedTensor quantized, float[] values, boolean[] inside) {
    public FakeQuantized {
        Objects.requireNonNull(quantized, "quantized");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(inside, "inside");
        if (values.length != quantized.size() || inside.length != quantized.size()) {
            throw new IllegalArgumentException("values and mask must have " + quantized.size() + " elements");
        }
    }

    /**
     * The clipped straight-through estimator: writes the gradient with respect to the input into
     * {@code gradient} in place (the incoming gradient where the element was inside, 0 where clipped) and
     * returns it.
     */
    public float[] backward(float[] gradient) {
        return FakeQuantize.straightThrough(gradient, inside);
    }

    /** How many elements were clipped. */
    public int clipped() {
        int n = 0;
        for (boolean b : inside) {
            n += b ? 0 : 1;
        }
        return n;
    }
}
