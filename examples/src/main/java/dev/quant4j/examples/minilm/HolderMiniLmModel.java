package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantModule;
import dev.quant4j.model.ActivationCalibrator;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.model.ModelPaths;

/**
 * all-MiniLM-L6-v2 with its weights in {@link dev.quant4j.model.QuantizableTensor} holders
 * ({@link HolderEmbeddings}, {@link HolderEncoderLayer}): it stays quantized after
 * {@code Quantization.quantizeWeights(model)} without the Java agent. Same structure and field paths as
 * {@link MiniLmModel} (states move freely between the two) and the same math.
 */
@QuantModule
public final class HolderMiniLmModel extends EncoderModel {

    /** A model of this shape without weights (see {@link MiniLmModel#MiniLmModel(MiniLmConfig)}). */
    public HolderMiniLmModel(MiniLmConfig config) {
        super(config, new HolderEmbeddings(config), layers(config, HolderEncoderLayer[]::new, HolderEncoderLayer::new));
        for (int l = 0; l < layers.length; l++) {
            ((HolderEncoderLayer) layers[l]).path = ModelPaths.element("", "layers", l);
        }
    }

    /**
     * Starts (non-null) or ends (null) calibration: while a calibrator is set, every linear layer whose weight
     * has static activations reports its input to it, and all layers multiply float32 activations (the
     * calibrate step of prepare -> calibrate -> convert). Not for concurrent embedding: the calibrator is
     * one thread's.
     *
     * @return this model
     */
    public HolderMiniLmModel calibrating(ActivationCalibrator calibrator) {
        for (EncoderLayerWeights layer : layers) {
            ((HolderEncoderLayer) layer).calibrator = calibrator;
        }
        return this;
    }

    /**
     * Sets the frozen scales the static-activation layers run with (the convert step); checks that every
     * static weight has one.
     *
     * @throws IllegalStateException naming the first static weight without a scale
     * @return this model
     */
    public HolderMiniLmModel activationScales(ActivationScales scales) {
        scales.checkCovers(this);
        for (EncoderLayerWeights layer : layers) {
            ((HolderEncoderLayer) layer).activationScales = scales;
        }
        return this;
    }

    /**
     * Declares at run time how every linear layer quantizes its input activations, over what the weights'
     * schemes say (their {@code a8dyn} part): {@link ActivationMode#NONE} (float32) or
     * {@link ActivationMode#DYNAMIC} (int8 per token, integer products; needs integer weight codes).
     * {@link ActivationMode#STATIC} runs with the scales {@link #activationScales} set, and is refused naming
     * the weight without them. Null goes
     * back to the weights' schemes (the default).
     *
     * @return this model
     */
    public HolderMiniLmModel activations(ActivationMode mode) {
        for (EncoderLayerWeights layer : layers) {
            ((HolderEncoderLayer) layer).activations = mode;
        }
        return this;
    }

    /**
     * Runs each linear layer's product as llama.cpp's CPU backend runs it for a weight of the ggml type
     * {@code typeOf} gives for its field path ({@code layers[0].queryWeight}): the input activations
     * quantized by ggml's rule for that type (Q8_0 blocks of 32 for Q8_0, Q4_0 and Q5_0 weights, Q8_K
     * blocks of 256 for Q4_K and Q6_K), so that a GGUF export can be compared with what llama.cpp computes
     * from it. Null (or a null type) runs the layers as usual.
     *
     * @return this model
     */
    public HolderMiniLmModel ggmlActivations(java.util.function.Function<String, dev.quant4j.io.gguf.GgmlType> typeOf) {
        for (EncoderLayerWeights layer : layers) {
            ((HolderEncoderLayer) layer).ggmlActivations = typeOf;
        }
        return this;
    }
}
