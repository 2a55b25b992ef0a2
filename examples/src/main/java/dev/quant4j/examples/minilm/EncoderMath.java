package dev.quant4j.examples.minilm;

import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.GemmKernels;
import dev.quant4j.kernels.Parallelism;

/**
 * The forward pass of all-MiniLM-L6-v2, once for both model variants: embeddings, post-LayerNorm BERT
 * layers, mean pooling and L2 normalisation. Weights come only through {@link EmbeddingWeights} and
 * {@link EncoderLayerWeights}; the math here never sees how they are held.
 * <pre>
 *   x   = LayerNorm(word[id] + type[0] + position[t])
 *   h   = LayerNorm(x + SelfAttention(x) W_o + b_o)        per layer
 *   out = LayerNorm(h + GELU(h W_i + b_i) W_2 + b_2)
 *   v   = normalize(mean over tokens of out)
 * </pre>
 */
final class EncoderMath {

    private EncoderMath() {}

    /** The sentence embedding of one tokenized text, of unit length. */
    static float[] embed(EmbeddingWeights embeddings, EncoderLayerWeights[] layers, int[] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("no tokens to embed");
        }
        float[] tokens = lastHiddenState(embeddings, layers, tokenIds);
        return l2Normalize(meanPool(tokens, tokenIds.length, embeddings.hidden));
    }

    /** The encoder output, {@code [n, hidden]} row-major: what the ONNX graph calls last_hidden_state. */
    static float[] lastHiddenState(EmbeddingWeights embeddings, EncoderLayerWeights[] layers, int[] tokenIds) {
        int n = tokenIds.length;
        float[] x = embed(embeddings, tokenIds);
        for (EncoderLayerWeights layer : layers) {
            if (layer.hidden != embeddings.hidden) {
                throw new IllegalStateException(
                        "layer width " + layer.hidden + " differs from the embeddings' " + embeddings.hidden);
            }
            x = layer(layer, x, n);
        }
        return x;
    }

    /** {@code [n, hidden]} for a single sentence: every token has type 0, positions are 0..n-1. */
    static float[] embed(EmbeddingWeights e, int[] ids) {
        int n = ids.length;
        int hidden = e.hidden;
        if (n > e.maxPositions) {
            throw new IllegalArgumentException(n + " tokens, but the model has only " + e.maxPositions + " positions");
        }
        int[] positions = new int[n];
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= e.vocabSize) {
                throw new IllegalArgumentException(
                        "token id " + id + " at position " + t + " is outside the vocab [0, " + e.vocabSize + ")");
            }
            positions[t] = t;
        }
        float[] x = e.rows(EmbeddingTable.WORD, ids);
        float[] type = e.rows(EmbeddingTable.TOKEN_TYPE, new int[] {0});
        float[] position = e.rows(EmbeddingTable.POSITION, positions);
        for (int i = 0; i < n * hidden; i++) {
            // Same order of additions as the graph: (word + type) + position.
            x[i] = x[i] + type[i % hidden] + position[i];
        }
        e.layerNorm().apply(x, n);
        return x;
    }

    /** One encoder layer; {@code x} is {@code [n, hidden]}, returns a new {@code [n, hidden]}. */
    static float[] layer(EncoderLayerWeights w, float[] x, int n) {
        // Self-attention, then residual and LayerNorm.
        float[] q = w.project(Projection.QUERY, x, n);
        float[] k = w.project(Projection.KEY, x, n);
        float[] v = w.project(Projection.VALUE, x, n);
        float[] context = attention(q, k, v, n, w.hidden, w.heads);
        float[] h = w.project(Projection.ATTENTION_OUTPUT, context, n);
        addInPlace(h, x);
        w.layerNorm(LayerNormSite.AFTER_ATTENTION).apply(h, n);

        // Feed-forward, then residual and LayerNorm.
        float[] inner = w.project(Projection.INTERMEDIATE, h, n);
        Gelu.apply(inner);
        float[] out = w.project(Projection.OUTPUT, inner, n);
        addInPlace(out, h);
        w.layerNorm(LayerNormSite.AFTER_FEED_FORWARD).apply(out, n);
        return out;
    }

    /**
     * Multi-head scaled dot-product attention over one unpadded sentence, so no mask: head {@code h}
     * uses columns {@code [h * headSize, (h + 1) * headSize)} of q, k and v, and writes the same columns
     * of the result. Both products of a head are batched float32 GEMMs over all tokens: the scores
     * {@code q k^T} ({@code k}'s rows as the weight rows) and the context {@code p v} ({@code v}
     * transposed as the weight rows).
     */
    static float[] attention(float[] q, float[] k, float[] v, int n, int hidden, int heads) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        int headSize = hidden / heads;
        float[] context = new float[n * hidden];
        float[] qh = new float[n * headSize];
        float[] kh = new float[n * headSize];
        float[] vt = new float[headSize * n];
        float[] scores = new float[n * n];
        float[] ch = new float[n * headSize];
        float scale = (float) Math.sqrt(headSize); // the graph divides the scores by sqrt(32)
        GemmKernels gemm = Gemm.active();
        for (int head = 0; head < heads; head++) {
            int col = head * headSize;
            for (int t = 0; t < n; t++) {
                System.arraycopy(q, t * hidden + col, qh, t * headSize, headSize);
                System.arraycopy(k, t * hidden + col, kh, t * headSize, headSize);
                for (int d = 0; d < headSize; d++) {
                    vt[d * n + t] = v[t * hidden + col + d];
                }
            }
            gemm.matmul(kh, n, headSize, qh, n, scores, Parallelism.single()); // scores[i, j] = q_i . k_j
            for (int i = 0; i < n; i++) {
                int row = i * n;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    scores[row + j] = scores[row + j] / scale;
                    max = Math.max(max, scores[row + j]);
                }
                // Softmax, shifted by the maximum so that exp cannot overflow.
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    scores[row + j] = (float) Math.exp(scores[row + j] - max);
                    sum += scores[row + j];
                }
                for (int j = 0; j < n; j++) {
                    scores[row + j] = scores[row + j] / sum;
                }
            }
            gemm.matmul(vt, headSize, n, scores, n, ch, Parallelism.single()); // ch[i, d] = sum_j p[i, j] v[j, d]
            for (int t = 0; t < n; t++) {
                System.arraycopy(ch, t * headSize, context, t * hidden + col, headSize);
            }
        }
        return context;
    }

    /** Plain average over all n token vectors, [CLS] and [SEP] included (there is no padding to mask). */
    static float[] meanPool(float[] tokens, int n, int hidden) {
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
    static float[] l2Normalize(float[] v) {
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

    private static void addInPlace(float[] acc, float[] x) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += x[i];
        }
    }
}
