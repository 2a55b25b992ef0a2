package dev.quant4j.examples.minilm;

/** What the shared forward pass ({@link EncoderMath}) needs from the input embeddings. */
interface EmbeddingWeights {

    int hidden();

    int vocabSize();

    int maxPositions();

    /** Rows {@code ids} of {@code table}, dequantized if need be: {@code [ids.length, hidden]}. */
    float[] rows(EmbeddingTable table, int[] ids);

    LayerNorm layerNorm();
}
