package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;

/**
 * BERT's input embeddings with the tables in {@link QuantizableTensor} holders. A lookup dequantizes
 * only the rows it needs, so the 47 MB float32 word table never exists once it is quantized.
 */
public final class HolderEmbeddings implements EmbeddingWeights {

    final int vocabSize;
    final int maxPositions;
    final int typeVocabSize;
    final int hidden;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) QuantizableTensor wordEmbeddings;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) QuantizableTensor tokenTypeEmbeddings;
    @Quantize(scheme = DefaultScheme.EMBEDDINGS) QuantizableTensor positionEmbeddings;
    final LayerNorm layerNorm;

    /** Embeddings without weights; the loader or an imported state fills them. */
    HolderEmbeddings(int vocabSize, int maxPositions, int typeVocabSize, int hidden, float layerNormEps) {
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
        QuantizableTensor values = switch (table) {
            case WORD -> wordEmbeddings;
            case POSITION -> positionEmbeddings;
            case TOKEN_TYPE -> tokenTypeEmbeddings;
        };
        if (values == null) {
            throw new IllegalStateException("the " + table + " embeddings are null: the model was built without"
                    + " weights and none were loaded");
        }
        int[] shape = values.shape();
        if (shape.length != 2 || shape[1] != hidden) {
            throw new IllegalStateException("the " + table + " embeddings must be [rows, " + hidden + "], are "
                    + java.util.Arrays.toString(shape));
        }
        return values.isQuantized() ? Linear.gather(values.quantized(), ids)
                : Linear.gather(values.floats().data(), hidden, ids);
    }

    @Override
    public LayerNorm layerNorm() {
        return layerNorm;
    }
}
