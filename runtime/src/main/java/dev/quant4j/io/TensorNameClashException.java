package dev.quant4j.io;

/**
 * Two tensors of a file to be written would have the same name, typically a quantized tensor
 * {@code NAME}, whose scales the format names {@code NAME.__scales}, beside a tensor that already has
 * that name. Thrown by {@link SafetensorsWriter#write} before anything is written.
 */
public final class TensorNameClashException extends IllegalArgumentException {
    private final String name;
    private final String quantized;

    /**
     * @param name   the name both would take in the file
     * @param first  the spec the first comes from (its {@link TensorSpec#name()})
     * @param second the spec the second comes from
     */
    TensorNameClashException(String name, String first, String second) {
        super("two tensors would be named '" + DisplayText.escape(name) + "' (from '" + DisplayText.escape(first)
                + "' and '" + DisplayText.escape(second) + "'; a quantized tensor NAME also takes NAME"
                + QuantizedLayout.SCALES_SUFFIX + "); rename or skip one");
        this.name = name;
        // The spec whose own name is not the clashing one is the quantized tensor that derives it.
        this.quantized = name.equals(first) ? second : first;
    }

    /** The name in the file that both would take. */
    public String name() {
        return name;
    }

    /**
     * The spec of the quantized tensor whose derived name ({@code NAME.__scales}) clashes: the one of the
     * two whose own name is not {@link #name()} (the second when both are, for two specs of one name).
     */
    public String quantizedSpec() {
        return quantized;
    }
}
