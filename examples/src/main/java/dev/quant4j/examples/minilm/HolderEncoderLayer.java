package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.annotations.QuantizeDefaults;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.model.ActivationCalibrator;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.model.ModelPaths;
import dev.quant4j.model.QuantizableTensor;

/**
 * One encoder layer with its weight matrices in {@link QuantizableTensor} holders: the variant that
 * stays quantized without the Java agent. Same fields, same paths and same math
 * ({@link EncoderMath#layer}) as {@link EncoderLayer}, so a state saved from one loads into the other.
 *
 * <p>Matrices are {@code [out, in]}, the holder's {@code matvec} convention ({@code [rows, cols]}).
 */
@QuantizeDefaults(scheme = DefaultScheme.LAYERS)
public final class HolderEncoderLayer extends EncoderLayerWeights {

    @Quantize
    QuantizableTensor queryWeight;

    float[] queryBias;

    @Quantize
    QuantizableTensor keyWeight;

    float[] keyBias;

    @Quantize
    QuantizableTensor valueWeight;

    float[] valueBias;

    @Quantize
    QuantizableTensor attentionOutputWeight;

    float[] attentionOutputBias;
    final LayerNorm attentionLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    @Quantize
    QuantizableTensor intermediateWeight;

    float[] intermediateBias;

    @Quantize
    QuantizableTensor outputWeight;

    float[] outputBias;
    final LayerNorm outputLayerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    /**
     * How the linear layers' input activations are quantized when chosen at run time (not a weight); null:
     * as each weight's scheme says (its {@code activations} part, NONE for float weights).
     */
    ActivationMode activations;

    /**
     * While set: the ggml type of each weight (by field path) whose matrix product runs as llama.cpp's
     * CPU backend runs it, its input activations quantized by ggml's rule for that type (see
     * {@link Linear#applyGgml}); a weight it gives null for runs as usual.
     */
    java.util.function.Function<String, GgmlType> ggmlActivations;

    /** This layer's field path in the model ({@code layers[3]}), set by the model: scales are keyed by it. */
    String path = "";
    /** The frozen scales of static-activation weights (not weights themselves); null: none. */
    ActivationScales activationScales;
    /** While calibrating: records each static weight's input, and the layer runs float32 activations. */
    ActivationCalibrator calibrator;

    /** A layer without weights; the loader or an imported state fills them. */
    HolderEncoderLayer(MiniLmConfig c) {
        super(c);
    }

    @Override
    float[] project(Projection p, float[] x, int n) {
        return switch (p) {
            case QUERY -> linear("queryWeight", queryWeight, queryBias, x, n);
            case KEY -> linear("keyWeight", keyWeight, keyBias, x, n);
            case VALUE -> linear("valueWeight", valueWeight, valueBias, x, n);
            case ATTENTION_OUTPUT -> linear("attentionOutputWeight", attentionOutputWeight, attentionOutputBias, x, n);
            case INTERMEDIATE -> linear("intermediateWeight", intermediateWeight, intermediateBias, x, n);
            case OUTPUT -> linear("outputWeight", outputWeight, outputBias, x, n);
        };
    }

    /**
     * One linear layer: while calibrating (prepare -> calibrate), records its input when the weight is
     * static and multiplies float32 activations; otherwise quantizes them as {@link #activations} or the
     * weight's scheme says, static ones with this layer's frozen scale.
     */
    private float[] linear(String name, QuantizableTensor weight, float[] bias, float[] x, int n) {
        String weightPath = ModelPaths.child(path, name);
        if (calibrator != null) {
            if (calibrator.observes(weightPath)) {
                calibrator.observe(weightPath, x, 0, x.length);
            }
            return Linear.apply(name, weight, bias, x, n, ActivationMode.NONE, null);
        }
        GgmlType ggml = ggmlActivations == null ? null : ggmlActivations.apply(weightPath);
        if (ggml != null) {
            return Linear.applyGgml(weightPath, weight, bias, x, n, ggml);
        }
        return Linear.apply(weightPath, weight, bias, x, n, activations, activationScales);
    }

    @Override
    LayerNorm layerNorm(LayerNormSite site) {
        return site == LayerNormSite.AFTER_ATTENTION ? attentionLayerNorm : outputLayerNorm;
    }
}
