package dev.quant4j.examples.minilm;

/**
 * One post-LayerNorm BERT encoder layer:
 * <pre>
 *   h   = LayerNorm(x + SelfAttention(x) W_o + b_o)
 *   out = LayerNorm(h + GELU(h W_i + b_i) W_2 + b_2)
 * </pre>
 * All weight matrices are row-major {@code [in, out]}, as stored in the ONNX file.
 */
public final class EncoderLayer {

    final int hidden;
    final int heads;
    final int headSize;
    final int intermediateSize;

    // Self-attention: query, key, value projections [hidden, hidden] and the output projection [hidden, hidden].
    float[] queryWeight;
    float[] queryBias;
    float[] keyWeight;
    float[] keyBias;
    float[] valueWeight;
    float[] valueBias;
    float[] attentionOutputWeight;
    float[] attentionOutputBias;
    final LayerNorm attentionLayerNorm;

    // Feed-forward: intermediate [hidden, intermediateSize] and output [intermediateSize, hidden].
    float[] intermediateWeight;
    float[] intermediateBias;
    float[] outputWeight;
    float[] outputBias;
    final LayerNorm outputLayerNorm;

    public EncoderLayer(int hidden, int heads, int intermediateSize,
                        float[] queryWeight, float[] queryBias, float[] keyWeight, float[] keyBias,
                        float[] valueWeight, float[] valueBias,
                        float[] attentionOutputWeight, float[] attentionOutputBias, LayerNorm attentionLayerNorm,
                        float[] intermediateWeight, float[] intermediateBias,
                        float[] outputWeight, float[] outputBias, LayerNorm outputLayerNorm) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + heads + " heads");
        }
        this.hidden = hidden;
        this.heads = heads;
        this.headSize = hidden / heads;
        this.intermediateSize = intermediateSize;
        this.queryWeight = queryWeight;
        this.queryBias = queryBias;
        this.keyWeight = keyWeight;
        this.keyBias = keyBias;
        this.valueWeight = valueWeight;
        this.valueBias = valueBias;
        this.attentionOutputWeight = attentionOutputWeight;
        this.attentionOutputBias = attentionOutputBias;
        this.attentionLayerNorm = attentionLayerNorm;
        this.intermediateWeight = intermediateWeight;
        this.intermediateBias = intermediateBias;
        this.outputWeight = outputWeight;
        this.outputBias = outputBias;
        this.outputLayerNorm = outputLayerNorm;
    }

    /** {@code x} is {@code [n, hidden]}; returns a new {@code [n, hidden]}. */
    float[] forward(float[] x, int n) {
        // Self-attention, then residual and LayerNorm.
        float[] q = Linear.apply(queryWeight, hidden, hidden, queryBias, x, n);
        float[] k = Linear.apply(keyWeight, hidden, hidden, keyBias, x, n);
        float[] v = Linear.apply(valueWeight, hidden, hidden, valueBias, x, n);
        float[] context = attention(q, k, v, n);
        float[] h = Linear.apply(attentionOutputWeight, hidden, hidden, attentionOutputBias, context, n);
        addInPlace(h, x);
        attentionLayerNorm.apply(h, n);

        // Feed-forward, then residual and LayerNorm.
        float[] inner = Linear.apply(intermediateWeight, hidden, intermediateSize, intermediateBias, h, n);
        Gelu.apply(inner);
        float[] out = Linear.apply(outputWeight, intermediateSize, hidden, outputBias, inner, n);
        addInPlace(out, h);
        outputLayerNorm.apply(out, n);
        return out;
    }

    /**
     * Multi-head scaled dot-product attention over one unpadded sentence, so no mask: head {@code h}
     * uses columns {@code [h * headSize, (h + 1) * headSize)} of q, k and v, and writes the same columns
     * of the result.
     */
    private float[] attention(float[] q, float[] k, float[] v, int n) {
        float[] context = new float[n * hidden];
        float[] scores = new float[n];
        float scale = (float) Math.sqrt(headSize); // the graph divides the scores by sqrt(32)
        for (int head = 0; head < heads; head++) {
            int col = head * headSize;
            for (int i = 0; i < n; i++) {
                int qi = i * hidden + col;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    int kj = j * hidden + col;
                    float dot = 0f;
                    for (int d = 0; d < headSize; d++) {
                        dot += q[qi + d] * k[kj + d];
                    }
                    scores[j] = dot / scale;
                    max = Math.max(max, scores[j]);
                }
                // Softmax, shifted by the maximum so that exp cannot overflow.
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    scores[j] = (float) Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j < n; j++) {
                    float p = scores[j] / sum;
                    int vj = j * hidden + col;
                    for (int d = 0; d < headSize; d++) {
                        context[qi + d] += p * v[vj + d];
                    }
                }
            }
        }
        return context;
    }

    private static void addInPlace(float[] acc, float[] x) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += x[i];
        }
    }
}
