package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;

/**
 * Layer normalisation over the last dimension: {@code (x - mean) / sqrt(var + eps) * weight + bias}.
 * Its two vectors are part of the model's state (saved and loaded) but never quantized: they are 0.02%
 * of the weights and scale every activation.
 */
@QuantModule
public final class LayerNorm {

    final int dim;
    final float eps;
    float[] weight; // gamma, [dim]
    float[] bias; // beta, [dim]

    /** A LayerNorm without its vectors; the loader or an imported state fills them. */
    LayerNorm(int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
    }

    /** Normalises each of the {@code n} rows of {@code x} ({@code [n, dim]}) in place. */
    void apply(float[] x, int n) {
        float[] gamma = weight;
        float[] beta = bias;
        if (gamma == null || beta == null) {
            throw new IllegalStateException(
                    "LayerNorm weights are null: the model was built without weights and" + " none were loaded");
        }
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            // Sums in double: the result is stored as float anyway, and it keeps the statistics exact
            // enough that the only float rounding left is the one the ONNX graph also has.
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                sum += x[off + i];
            }
            float mean = (float) (sum / dim);
            double squares = 0;
            for (int i = 0; i < dim; i++) {
                float d = x[off + i] - mean;
                squares += d * d;
            }
            // Biased variance (divide by dim), as the graph's ReduceMean of the squared deviations.
            float invStd = (float) (1.0 / Math.sqrt(squares / dim + eps));
            for (int i = 0; i < dim; i++) {
                x[off + i] = (x[off + i] - mean) * invStd * gamma[i] + beta[i];
            }
        }
    }
}
