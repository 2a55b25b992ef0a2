package dev.quant4j.model;

/**
 * How the input activations of a linear layer are quantized before they meet its weights.
 *
 * <ul>
 *   <li>{@link #NONE}: float32 activations; quantized weights are dequantized ({@code q * s}) and
 *       multiplied in float32 (the behaviour without activation quantization).</li>
 *   <li>{@link #DYNAMIC}: each token's activations (one row of the {@code [tokens, in]} input) are
 *       quantized at run time to symmetric int8 with one scale computed from that row (docs/NUMERICS.md,
 *       "Integer matrix products"); the product runs on integer codes.</li>
 *   <li>{@link #STATIC}: one scale per tensor or per channel, frozen by calibration. Declared so that the
 *       vocabulary is complete; the kernels do not run it yet.</li>
 * </ul>
 *
 * <p>For now the mode is chosen at run time by the code that runs a model; the annotation attribute that
 * declares it per field uses these names.
 */
public enum ActivationMode {
    NONE,
    DYNAMIC,
    STATIC;

    /** The lower-case name used in JSON output and on command lines: {@code none}, {@code dynamic}, {@code static}. */
    public String token() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
