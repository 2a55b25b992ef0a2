package dev.quant4j.examples.minilm;

/**
 * The schemes the model's {@code @Quantize} fields carry, used by {@code Quantization.quantizeWeights(model)}
 * (and by the demo's {@code annotated} row): a per-field choice that a single scheme cannot make.
 *
 * <p>Measured on the demo's sentences (quantizing one part with Q4F block 32 and the rest with Q8S
 * block 32): 4-bit embeddings cost almost nothing (cosine to float32 0.9957 mean, 0.991 worst), while
 * 4-bit encoder layers cost most of what 4 bits cost overall (0.964 mean, 0.866 worst). So the
 * embeddings, half of the weights, take 4 bits and the layers 8.
 */
public final class DefaultScheme {

    /** Word, position and token-type tables. */
    public static final String EMBEDDINGS = "q4f:block32:f16:u32";
    /** The six matrices of each encoder layer. */
    public static final String LAYERS = "q8s:block32:f16:u32";

    private DefaultScheme() {}
}
