package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;
import java.util.Arrays;

/**
 * BERT's input embeddings with the tables in {@link QuantizableTensor} holders. A lookup dequantizes
 * only the rows it needs, so the 47 MB float32 word table never exists once it is quantized.
 */
public final class HolderEmbeddings extends EmbeddingWeights {

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    QuantizableTensor wordEmbeddings;

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    QuantizableTensor tokenTypeEmbeddings;

    @Quantize(scheme = DefaultScheme.EMBEDDINGS)
    QuantizableTensor positionEmbeddings;

    final LayerNorm layerNorm = new LayerNorm(hidden, MiniLmConfig.LAYER_NORM_EPS);

    /** Embeddings without weights; the loader or an imported state fills them. */
    HolderEmbeddings(MiniLmConfig c) {
        super(c);
    }

    @Override
    float[] rows(EmbeddingTable table, int[] ids) {
        QuantizableTensor values = loaded(
                table,
                switch (table) {
                    case WORD -> wordEmbeddings;
                    case POSITION -> positionEmbeddings;
                    case TOKEN_TYPE -> tokenTypeEmbeddings;
                });
        int[] shape = values.shape();
        if (shape.length != 2 || shape[1] != hidden) {
            throw new IllegalStateException(
                    "the " + table + " embeddings must be [rows, " + hidden + "], are " + Arrays.toString(shape));
        }
        return values.isQuantized()
                ? Linear.gather(values.quantized(), ids)
                : Linear.gather(values.floats().data(), hidden, ids);
    }

    @Override
    LayerNorm layerNorm() {
        return layerNorm;
    }
}
