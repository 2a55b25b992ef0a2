package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantModule;

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
    }

    /**
     * Declares at run time how every linear layer quantizes its input activations, over what the weights'
     * schemes say (their {@code a8dyn} part): {@link ActivationMode#NONE} (float32) or
     * {@link ActivationMode#DYNAMIC} (int8 per token, integer products; needs integer weight codes).
     * {@link ActivationMode#STATIC} is refused when the model runs: it needs calibrated scales. Null goes
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
}
