package dev.quant4j.examples.minilm;

import java.util.Map;

/**
 * The sizes of a MiniLM-style BERT, read from its weights: enough to build a model without weights
 * and load a saved state into it.
 */
public record MiniLmConfig(
        int vocabSize, int maxPositions, int typeVocabSize, int hidden, int heads, int intermediateSize, int layers) {

    /** Not in the weights: the model config says 12 heads, and the graph reshapes to [batch, n, 12, 32]. */
    public static final int HEADS = 12;
    /** The epsilon the graph adds to the variance in every LayerNorm (stored as float32 9.99999996e-13). */
    public static final float LAYER_NORM_EPS = 1e-12f;

    public MiniLmConfig {
        if (vocabSize <= 0
                || maxPositions <= 0
                || typeVocabSize <= 0
                || hidden <= 0
                || heads <= 0
                || intermediateSize <= 0
                || layers <= 0
                || hidden % heads != 0) {
            throw new IllegalArgumentException("not a valid encoder shape: " + this);
        }
    }

    /**
     * The sizes of the model whose state (field path to shape, as {@code Quantization.exportState} names
     * them) is given, e.g. read back from a saved file.
     *
     * @throws IllegalArgumentException naming the missing tensor when the state is not such a model's
     */
    public static MiniLmConfig of(Map<String, int[]> shapes) {
        int[] word = require(shapes, "embeddings.wordEmbeddings");
        int layers = 0;
        while (shapes.containsKey("layers[" + layers + "].queryWeight")) {
            layers++;
        }
        if (layers == 0) {
            throw new IllegalArgumentException("the state has no tensor 'layers[0].queryWeight'; it is not a saved"
                    + " MiniLM model (its names: " + shapes.keySet() + ")");
        }
        return new MiniLmConfig(
                word[0],
                require(shapes, "embeddings.positionEmbeddings")[0],
                require(shapes, "embeddings.tokenTypeEmbeddings")[0],
                word[1],
                HEADS,
                require(shapes, "layers[0].intermediateWeight")[0],
                layers);
    }

    private static int[] require(Map<String, int[]> shapes, String name) {
        int[] shape = shapes.get(name);
        if (shape == null || shape.length != 2) {
            throw new IllegalArgumentException("the state has no 2-D tensor '" + name + "'; it is not a saved MiniLM"
                    + " model (its names: " + shapes.keySet() + ")");
        }
        return shape;
    }

    /** Number of weights: every parameter, quantizable or not. */
    public long parameters() {
        long h = hidden;
        long perLayer = 4 * (h * h + h)
                + 2 * h
                + (h * intermediateSize + intermediateSize)
                + (intermediateSize * h + h)
                + 2 * h;
        return (vocabSize + maxPositions + typeVocabSize) * h + 2 * h + layers * perLayer;
    }
}
