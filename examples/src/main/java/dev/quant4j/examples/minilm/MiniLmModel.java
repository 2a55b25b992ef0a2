package dev.quant4j.examples.minilm;

/**
 * all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) as sentence encoder, float32, single-threaded:
 * <pre>
 *   token ids -> embeddings -> 6 encoder layers -> mean over all tokens -> L2 normalisation
 * </pre>
 * The pooling and normalisation are those of LangChain4j's {@code AllMiniLmL6V2EmbeddingModel}, so the
 * vectors can be compared with it one to one.
 */
public final class MiniLmModel {

    final int hidden;
    final Embeddings embeddings;
    final EncoderLayer[] layers;

    public MiniLmModel(Embeddings embeddings, EncoderLayer[] layers) {
        this.hidden = embeddings.hidden;
        this.embeddings = embeddings;
        this.layers = layers;
        for (EncoderLayer layer : layers) {
            if (layer.hidden != hidden) {
                throw new IllegalArgumentException("layer width " + layer.hidden + " differs from embeddings " + hidden);
            }
        }
    }

    public int dimension() {
        return hidden;
    }

    public int maxTokens() {
        return embeddings.maxPositions;
    }

    /** The sentence embedding of one tokenized text ([CLS] ... [SEP]), of unit length. */
    public float[] embed(int[] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("no tokens to embed");
        }
        float[] tokens = lastHiddenState(tokenIds);
        float[] sentence = meanPool(tokens, tokenIds.length);
        return l2Normalize(sentence);
    }

    /** The encoder output, {@code [n, hidden]} row-major: what the ONNX graph calls last_hidden_state. */
    public float[] lastHiddenState(int[] tokenIds) {
        int n = tokenIds.length;
        float[] x = embeddings.forward(tokenIds);
        for (EncoderLayer layer : layers) {
            x = layer.forward(x, n);
        }
        return x;
    }

    /** Plain average over all n token vectors, [CLS] and [SEP] included (there is no padding to mask). */
    private float[] meanPool(float[] tokens, int n) {
        float[] mean = new float[hidden];
        for (int t = 0; t < n; t++) {
            for (int d = 0; d < hidden; d++) {
                mean[d] += tokens[t * hidden + d];
            }
        }
        for (int d = 0; d < hidden; d++) {
            mean[d] /= n;
        }
        return mean;
    }

    /** In place, and the way LangChain4j does it: sum of squares in float, then divide by the float root. */
    private static float[] l2Normalize(float[] v) {
        float sumOfSquares = 0f;
        for (float x : v) {
            sumOfSquares += x * x;
        }
        float norm = (float) Math.sqrt(sumOfSquares);
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] / norm;
        }
        return v;
    }
}
