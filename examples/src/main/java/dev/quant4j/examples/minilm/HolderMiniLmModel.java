package dev.quant4j.examples.minilm;

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

    private HolderMiniLmModel(HolderEmbeddings embeddings, HolderEncoderLayer[] layers) {
        this.hidden = embeddings.hidden;
        this.embeddings = embeddings;
        this.layers = layers.clone();
        for (HolderEncoderLayer layer : layers) {
            if (layer.hidden != hidden) {
                throw new IllegalArgumentException("layer width " + layer.hidden + " differs from embeddings " + hidden);
            }
        }
    }

    /** A model of this shape without weights: fill it with {@code Quantization.importState} (the ONNX loader does). */
    public static HolderMiniLmModel empty(MiniLmConfig c) {
        HolderEncoderLayer[] layers = new HolderEncoderLayer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new HolderEncoderLayer(c.hidden(), c.heads(), c.intermediateSize(), MiniLmConfig.LAYER_NORM_EPS);
        }
        return new HolderMiniLmModel(new HolderEmbeddings(c.vocabSize(), c.maxPositions(), c.typeVocabSize(), c.hidden(),
                MiniLmConfig.LAYER_NORM_EPS), layers);
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
