package dev.quant4j.examples.minilm;

/** BERT's input embeddings: word + token type + position, then LayerNorm. */
public final class Embeddings {

    final int vocabSize;
    final int maxPositions;
    final int typeVocabSize;
    final int hidden;
    float[] wordEmbeddings;      // [vocabSize, hidden]
    float[] tokenTypeEmbeddings; // [typeVocabSize, hidden]
    float[] positionEmbeddings;  // [maxPositions, hidden]
    final LayerNorm layerNorm;

    public Embeddings(int vocabSize, int maxPositions, int typeVocabSize, int hidden, float[] wordEmbeddings,
                      float[] tokenTypeEmbeddings, float[] positionEmbeddings, LayerNorm layerNorm) {
        this.vocabSize = vocabSize;
        this.maxPositions = maxPositions;
        this.typeVocabSize = typeVocabSize;
        this.hidden = hidden;
        this.wordEmbeddings = wordEmbeddings;
        this.tokenTypeEmbeddings = tokenTypeEmbeddings;
        this.positionEmbeddings = positionEmbeddings;
        this.layerNorm = layerNorm;
    }

    /** {@code [n, hidden]} for a single sentence: every token has type 0, positions are 0..n-1. */
    float[] forward(int[] ids) {
        int n = ids.length;
        if (n > maxPositions) {
            throw new IllegalArgumentException(n + " tokens, but the model has only " + maxPositions + " positions");
        }
        float[] x = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " at position " + t + " is outside the vocab [0, "
                        + vocabSize + ")");
            }
            int word = id * hidden;
            int position = t * hidden;
            int out = t * hidden;
            for (int d = 0; d < hidden; d++) {
                // Same order of additions as the graph: (word + type) + position.
                x[out + d] = wordEmbeddings[word + d] + tokenTypeEmbeddings[d] + positionEmbeddings[position + d];
            }
        }
        layerNorm.apply(x, n);
        return x;
    }
}
