package dev.quant4j.examples.minilm;

/**
 * The scheme the model's {@code @Quantize} fields carry, for users who call
 * {@code Quantization.quantizeWeights(model)} without choosing one: 8-bit symmetric codes with one F16
 * scale per 32 weights (8.5 bits per weight), which keeps this encoder's vectors at cosine ~0.9999 of
 * float32 on the demo's sentences. The demo itself overrides it with each scheme it compares.
 */
final class DefaultScheme {

    static final String TEXT = "q8s:block32:f16:u32";

    private DefaultScheme() {
    }
}
