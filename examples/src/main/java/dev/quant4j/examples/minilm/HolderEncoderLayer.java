package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.model.QuantizableTensor;

/**
 * One encoder layer with its weight matrices in {@link QuantizableTensor} holders: the variant that
 * stays quantized without the Java agent. Same fields, same paths and same math
 * ({@link EncoderMath#layer}) as {@link EncoderLayer}, so a state saved from one loads into the other.
 *
 * <p>Matrices are {@code [out, in]}, the holder's {@code matvec} convention ({@code [rows, cols]}).
 */
public final class HolderEncoderLayer extends EncoderLayerWeights {

    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor queryWeight;
    float[] queryBias;
    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor keyWeight;
    float[] keyBias;
    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor valueWeight;
    float[] valueBias;
    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor attentionOutputWeight;
    float[] attentionOutputBias;
    final LayerNorm attentionLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor intermediateWeight;
    float[] intermediateBias;
    @Quantize(scheme = DefaultScheme.LAYERS) QuantizableTensor outputWeight;
    float[] outputBias;
    final LayerNorm outputLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    /**
     * How the linear layers' input activations are quantized when chosen at run time (not a weight); null:
     * as each weight's scheme says (its {@code activations} part, NONE for float weights).
     */
    ActivationMode activations;

    /** A layer without weights; the loader or an imported state fills them. */
    HolderEncoderLayer(MiniLmConfig c) {
        super(c);
    }

    @Override
    float[] project(Projection p, float[] x, int n) {
        return switch (p) {
            case QUERY -> Linear.apply("queryWeight", queryWeight, queryBias, x, n, activations);
            case KEY -> Linear.apply("keyWeight", keyWeight, keyBias, x, n, activations);
            case VALUE -> Linear.apply("valueWeight", valueWeight, valueBias, x, n, activations);
            case ATTENTION_OUTPUT -> Linear.apply("attentionOutputWeight", attentionOutputWeight, attentionOutputBias,
                    x, n, activations);
            case INTERMEDIATE -> Linear.apply("intermediateWeight", intermediateWeight, intermediateBias, x, n, activations);
            case OUTPUT -> Linear.apply("outputWeight", outputWeight, outputBias, x, n, activations);
        };
    }

    @Override
    LayerNorm layerNorm(LayerNormSite site) {
        return site == LayerNormSite.AFTER_ATTENTION ? attentionLayerNorm : outputLayerNorm;
    }
}
