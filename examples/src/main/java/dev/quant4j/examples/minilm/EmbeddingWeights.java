package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;

/**
 * What the shared forward pass ({@link EncoderMath}) needs from the input embeddings: their sizes, held
 * here once for both variants, and the rows of a table, which each variant reads from its own field type.
 *
 * <p>A module (it holds no weights itself) so that the model can name it as a field type; the
 * generated visitors walk the subclass each instance is.
 */
@QuantModule
abstract sealed class EmbeddingWeights permits Embeddings, HolderEmbeddings {

    // Plain int fields, not accessors: the subclasses' @Dims name them.
    final int vocabSize;
    final int maxPositions;
    final int typeVocabSize;
    final int hidden;

    EmbeddingWeights(MiniLmConfig c) {
        this.vocabSize = c.vocabSize();
        this.maxPositions = c.maxPositions();
        this.typeVocabSize = c.typeVocabSize();
        this.hidden = c.hidden();
    }

    /** Rows {@code ids} of {@code table}, dequantized if need be: {@code [ids.length, hidden]}. */
    abstract float[] rows(EmbeddingTable table, int[] ids);

    abstract LayerNorm layerNorm();

    /** {@code values}, the content of {@code table}'s field, checked to be there. */
    static <T> T loaded(EmbeddingTable table, T values) {
        if (values == null) {
            throw new IllegalStateException("the " + table + " embeddings are null: the model was built without"
                    + " weights and none were loaded");
        }
        return values;
    }
}
