package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;

/**
 * One post-LayerNorm BERT encoder layer with its weights in plain {@code float[]} fields: the variant
 * for the Java agent, which keeps each {@code @Quantize} field quantized in memory and hands out the
 * dequantized array when the field is read. The math is {@link EncoderMath#layer}.
 *
 * <p>Weight matrices are row-major {@code [out, in]} (the ONNX file stores {@code [in, out]}; the
 * loader transposes), so quantization blocks run along the input dimension. Biases and the LayerNorm
 * vectors are state, not quantized.
 */
@QuantizeDefaults(scheme = DefaultScheme.LAYERS)
public final class EncoderLayer extends EncoderLayerWeights {

    // Self-attention: query, key, value projections [hidden, hidden] and the output projection [hidden, hidden].
    @Quantize
    @Dims({"hidden", "hidden"})
    float[] queryWeight;

    float[] queryBias;

    @Quantize
    @Dims({"hidden", "hidden"})
    float[] keyWeight;

    float[] keyBias;

    @Quantize
    @Dims({"hidden", "hidden"})
    float[] valueWeight;

    float[] valueBias;

    @Quantize
    @Dims({"hidden", "hidden"})
    float[] attentionOutputWeight;

    float[] attentionOutputBias;
    final LayerNorm attentionLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    // Feed-forward: intermediate [intermediateSize, hidden] and output [hidden, intermediateSize].
    @Quantize
    @Dims({"intermediateSize", "hidden"})
    float[] intermediateWeight;

    float[] intermediateBias;

    @Quantize
    @Dims({"hidden", "intermediateSize"})
    float[] outputWeight;

    float[] outputBias;
    final LayerNorm outputLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    /** A layer without weights; the loader or an imported state fills them. */
    EncoderLayer(MiniLmConfig c) {
        super(c);
    }

    @Override
    float[] project(Projection p, float[] x, int n) {
        return switch (p) {
            case QUERY -> Linear.apply("queryWeight", queryWeight, hidden, hidden, queryBias, x, n);
            case KEY -> Linear.apply("keyWeight", keyWeight, hidden, hidden, keyBias, x, n);
            case VALUE -> Linear.apply("valueWeight", valueWeight, hidden, hidden, valueBias, x, n);
            case ATTENTION_OUTPUT ->
                Linear.apply("attentionOutputWeight", attentionOutputWeight, hidden, hidden, attentionOutputBias, x, n);
            case INTERMEDIATE ->
                Linear.apply(
                        "intermediateWeight", intermediateWeight, intermediateSize, hidden, intermediateBias, x, n);
            case OUTPUT -> Linear.apply("outputWeight", outputWeight, hidden, intermediateSize, outputBias, x, n);
        };
    }

    @Override
    LayerNorm layerNorm(LayerNormSite site) {
        return site == LayerNormSite.AFTER_ATTENTION ? attentionLayerNorm : outputLayerNorm;
    }
}
