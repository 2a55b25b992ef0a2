package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Dims;
import dev.quant4j.annotations.Quantize;

/**
 * BERT's input embeddings (word + token type + position, then LayerNorm) with the tables in plain
 * {@code float[]} fields, for the Java agent. The word table is half of the model's weights.
 */
public final class Embeddings implements EmbeddingWeights {

    final int vocabSize;
    final int maxPositions;
    final int typeVocabSize;
    final int hidden;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) @Dims({"vocabSize", "hidden"}) float[] wordEmbeddings;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) @Dims({"typeVocabSize", "hidden"}) float[] tokenTypeEmbeddings;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) @Dims({"maxPositions", "hidden"}) float[] positionEmbeddings;
    final LayerNorm layerNorm;

    /** Embeddings without weights; the loader or an imported state fills them. */
    Embeddings(int vocabSize, int maxPositions, int typeVocabSize, int hidden, float layerNormEps) {
        this.vocabSize = vocabSize;
        this.maxPositions = maxPositions;
        this.typeVocabSize = typeVocabSize;
        this.hidden = hidden;
        this.layerNorm = new LayerNorm(hidden, layerNormEps, null, null);
    }

    @Override
    public int hidden() {
        return hidden;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int maxPositions() {
        return maxPositions;
    }

    @Override
    public float[] rows(EmbeddingTable table, int[] ids) {
        // One read of the field per lookup: under the agent that read hands out the dequantized table.
        float[] values = switch (table) {
            case WORD -> wordEmbeddings;
            case POSITION -> positionEmbeddings;
            case TOKEN_TYPE -> tokenTypeEmbeddings;
        };
        if (values == null) {
            throw new IllegalStateException("the " + table + " embeddings are null: the model was built without"
                    + " weights and none were loaded");
        }
        return Linear.gather(values, hidden, ids);
    }

    @Override
    public LayerNorm layerNorm() {
        return layerNorm;
    }
}
