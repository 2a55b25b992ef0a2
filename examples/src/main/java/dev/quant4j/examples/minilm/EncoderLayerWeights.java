package dev.quant4j.examples.minilm;

/**
 * What the shared forward pass ({@link EncoderMath}) needs from one encoder layer; each model variant
 * holds its weights its own way and implements this.
 */
interface EncoderLayerWeights {

    int hidden();

    int heads();

    /**
     * {@code x W^T + b} of one projection over {@code n} tokens: {@code x} is {@code [n, in]}, the result
     * {@code [n, out]}. Implementations read their weight field here, at use time, so that under the Java
     * agent the (rewritten) read is what hands them the weights.
     */
    float[] project(Projection p, float[] x, int n);

    LayerNorm attentionLayerNorm();

    LayerNorm outputLayerNorm();
}
