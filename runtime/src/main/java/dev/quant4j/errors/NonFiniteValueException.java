package dev.quant4j.errors;

/** The input held NaN or an infinity; names the tensor, the flat index and the value. */
public final class NonFiniteValueException extends QuantizationException {
    private final long index;
    private final float value;

    public NonFiniteValueException(String tensor, long index, float value) {
        super(
                tensor,
                "tensor '" + tensor + "' holds " + value + " at flat index " + index
                        + "; quantization needs finite values: fix or drop that weight (or skip the tensor)");
        this.index = index;
        this.value = value;
    }

    public long index() {
        return index;
    }

    public float value() {
        return value;
    }
}
