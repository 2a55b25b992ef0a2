package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantModule;

/**
 * all-MiniLM-L6-v2 with its weights in {@link dev.quant4j.model.QuantizableTensor} holders: it stays
 * quantized after {@code Quantization.quantizeWeights(model)} without the Java agent. Same structure and
 * field paths as {@link MiniLmModel} (states move freely between the two) and the same math.
 */
@QuantModule
public final class HolderMiniLmModel implements SentenceEncoder {

    final int hidden;
    final HolderEmbeddings embeddings;
    final HolderEncoderLayer[] layers;

    HolderMiniLmModel(HolderEmbeddings embeddings, HolderEncoderLayer[] layers) {
        this.hidden = embeddings.hidden;
        this.embeddings = embeddings;
        this.layers = layers.clone();
        for (HolderEncoderLayer layer : layers) {
            if (layer.hidden != hidden) {
                throw new IllegalArgumentException("layer width " + layer.hidden + " differs from embeddings " + hidden);
            }
        }
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
        for (HolderEncoderLayer layer : layers) {
            layer.activations = mode;
        }
        return this;
    }

    @Override
    public int dimension() {
        return hidden;
    }

    @Override
    public int maxTokens() {
        return embeddings.maxPositions;
    }

    @Override
    public float[] embed(int[] tokenIds) {
        return EncoderMath.embed(embeddings, layers, tokenIds);
    }
}
