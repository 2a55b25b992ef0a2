package dev.quant4j.errors;

/**
 * Quantization of a tensor failed on its input: a non-finite value, a scale that does not fit the
 * param type, an invalid scheme for the tensor's shape. The message names the tensor (or field path),
 * where in it, and what to do.
 */
public class QuantizationException extends IllegalArgumentException {
    private final String tensor;

    public QuantizationException(String tensor, String message) {
        super(message);
        this.tensor = tensor;
    }

    /** The tensor's name or field path, as the caller gave it. */
    public String tensor() {
        return tensor;
    }
}
