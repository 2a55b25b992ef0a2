package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.Quantize;

/**
 * BERT's input embeddings (word + token type + position, then LayerNorm) with the tables in plain
 * {@code float[]} fields, for the Java agent. The word table is half of the model's weights.
 */
public final class Embeddings extends EmbeddingWeights {

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    @Dims({"vocabSize", "hidden"})
    float[] wordEmbeddings;

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    @Dims({"typeVocabSize", "hidden"})
    float[] tokenTypeEmbeddings;

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    @Dims({"maxPositions", "hidden"})
    float[] positionEmbeddings;

    final LayerNorm layerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    /** Embeddings without weights; the loader or an imported state fills them. */
    Embeddings(MiniLmConfig c) {
        super(c);
    }

    @Override
    float[] rows(EmbeddingTable table, int[] ids) {
        // One read of the field per lookup: under the agent that read hands out the dequantized table.
        float[] values = switch (table) {
            case WORD -> wordEmbeddings;
            case POSITION -> positionEmbeddings;
            case TOKEN_TYPE -> tokenTypeEmbeddings;
        };
        return Linear.gather(loaded(table, values), hidden, ids);
    }

    @Override
    LayerNorm layerNorm() {
        return layerNorm;
    }
}
