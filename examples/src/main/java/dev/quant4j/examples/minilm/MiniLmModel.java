package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;

/**
 * all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) as sentence encoder, with its weights in plain
 * {@code float[]} fields annotated {@code @Quantize}: float32 as loaded, and kept quantized in memory by
 * the Java agent after {@code Quantization.quantizeWeights(model)}.
 * <pre>
 *   token ids -> embeddings -> 6 encoder layers -> mean over all tokens -> L2 normalisation
 * </pre>
 * The pooling and normalisation are those of LangChain4j's {@code AllMiniLmL6V2EmbeddingModel}, so the
 * vectors can be compared with it one to one. {@link HolderMiniLmModel} is the same model with holder
 * fields; both run {@link EncoderMath}.
 */
@QuantModule
public final class MiniLmModel implements SentenceEncoder {

    final int hidden;
    final Embeddings embeddings;
    final EncoderLayer[] layers;

    private MiniLmModel(Embeddings embeddings, EncoderLayer[] layers) {
        this.hidden = embeddings.hidden;
        this.embeddings = embeddings;
        this.layers = layers.clone();
        for (EncoderLayer layer : layers) {
            if (layer.hidden != hidden) {
                throw new IllegalArgumentException("layer width " + layer.hidden + " differs from embeddings " + hidden);
            }
        }
    }

    /** A model of this shape without weights: fill it with {@code Quantization.importState} (the ONNX loader does). */
    public static MiniLmModel empty(MiniLmConfig c) {
        EncoderLayer[] layers = new EncoderLayer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new EncoderLayer(c.hidden(), c.heads(), c.intermediateSize(), MiniLmConfig.LAYER_NORM_EPS);
        }
        return new MiniLmModel(new Embeddings(c.vocabSize(), c.maxPositions(), c.typeVocabSize(), c.hidden(),
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

    /** The encoder output, {@code [n, hidden]} row-major: what the ONNX graph calls last_hidden_state. */
    public float[] lastHiddenState(int[] tokenIds) {
        return EncoderMath.lastHiddenState(embeddings, layers, tokenIds);
    }
}
