package dev.quant4j.examples.minilm;

import java.util.Arrays;

/**
 * The one place where a weight matrix meets activations, {@code y = x W + b}. Kept small and alone so
 * that a quantized kernel can take its place later without touching the model code.
 */
final class Linear {

    /**
     * Tokens processed together per pass over the weights: each weight row is fetched once per block
     * and used for all its tokens, while the block's accumulators (8 x 1536 floats = 48 KiB at most
     * here) stay in cache.
     */
    private static final int TOKEN_BLOCK = 8;

    private Linear() {
    }

    /**
     * Applies a linear layer to {@code n} rows.
     *
     * @param weights row-major {@code [in, out]}, the ONNX/{@code x @ W} layout (PyTorch's weight transposed)
     * @param bias    {@code [out]}, or null for none
     * @param x       row-major {@code [n, in]}
     * @return row-major {@code [n, out]}
     */
    static float[] apply(float[] weights, int in, int out, float[] bias, float[] x, int n) {
        float[] y = new float[n * out];
        float[] weightRow = new float[out];
        float[][] acc = new float[Math.min(n, TOKEN_BLOCK)][out];
        for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
            int tokens = Math.min(TOKEN_BLOCK, n - t0);
            for (int t = 0; t < tokens; t++) {
                if (bias != null) {
                    System.arraycopy(bias, 0, acc[t], 0, out);
                } else {
                    Arrays.fill(acc[t], 0f);
                }
            }
            // Row i of W, scaled by x[t][i], is added to token t's accumulator: both walked contiguously.
            for (int i = 0; i < in; i++) {
                // Copied out so that the loop below indexes both arrays from 0. C2 does not vectorise
                // y[a + j] += s * w[b + j] when y and w are float[]s that might be the same array at
                // different offsets; with equal indices it does (measured: 4-10x faster).
                System.arraycopy(weights, i * out, weightRow, 0, out);
                for (int t = 0; t < tokens; t++) {
                    axpy(x[(t0 + t) * in + i], weightRow, acc[t]);
                }
            }
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(acc[t], 0, y, (t0 + t) * out, out);
            }
        }
        return y;
    }

    /** {@code y += a * x}, element by element. */
    private static void axpy(float a, float[] x, float[] y) {
        for (int j = 0; j < y.length; j++) {
            y[j] += a * x[j];
        }
    }
}
