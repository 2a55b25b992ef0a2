package dev.quant4j.examples.minilm;

import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.model.Quantization;
import dev.quant4j.tensor.FloatTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Importances for the weighted scale search ({@code imatrix}) that come from the model's own parameters, not
 * from calibration data (docs/CALIBRATION.md, "Data-free importance"). Each LayerNorm's output is
 * {@code y_j = gamma_j * xhat_j + beta_j} with {@code xhat} of zero mean and unit variance over the channels,
 * so a layer that reads it sees {@code E[y_j^2] ~ gamma_j^2 + beta_j^2}:
 * <ul>
 *   <li>query, key and value of layer l read the LayerNorm before it (the embeddings' for layer 0, else the
 *       previous layer's output LayerNorm); the FFN input (intermediate) reads the attention LayerNorm of its
 *       layer: {@code gamma_j^2 + beta_j^2};</li>
 *   <li>the embedding tables are summed and normalised by the embedding LayerNorm, so an error in channel j
 *       reaches its output scaled by {@code gamma_j / sigma} ({@code sigma} is one number per token, the same
 *       for every block of a row): {@code gamma_j^2};</li>
 *   <li>the FFN output reads {@code GELU(z)} with {@code z = W_i y + b_i}: taking the channels of
 *       {@code xhat} as independent, {@code z_k} has mean {@code mu_k = (W_i beta + b_i)_k} and variance
 *       {@code v_k = sum_j W_i[k, j]^2 gamma_j^2}, and its importance is {@code E[GELU(z_k)^2]} for a normal
 *       {@code z_k} of that mean and variance (a quadrature);</li>
 *   <li>the attention output reads the attention context, a convex mix of the value rows
 *       {@code v = W_v y + b_v} over the tokens: {@code mu_i^2 + sum_j W_v[i, j]^2 gamma_j^2} (the value's own
 *       mean square, which the mixing can only lower).</li>
 * </ul>
 * Only the ratios within one tensor matter to the search.
 */
public final class LayerNormImportance {

    /** Quadrature nodes on [-8, 8] standard deviations (the normal's mass beyond is below 1e-15). */
    private static final int NODES = 161;

    private static final double SPAN = 8.0;

    private LayerNormImportance() {}

    /** The importances of every quantized weight of {@code model}, by field path, from its float32 parameters. */
    public static InputStatistics of(EncoderModel model) {
        return of(model, false);
    }

    /**
     * As {@link #of(EncoderModel)}, with {@code secondMoments} also the whole {@code E[x x^T]} of each linear
     * layer's input by the same model, for GPTQ: {@code diag(gamma^2) + beta beta^T} for a LayerNorm's output,
     * {@code W_v diag(gamma^2) W_v^T + mu mu^T} for the attention context, and for {@code GELU(z)} the mean
     * squares on the diagonal and {@code E[GELU(z_a)] E[GELU(z_b)]} off it.
     */
    public static InputStatistics of(EncoderModel model, boolean secondMoments) {
        Map<String, Object> state = Quantization.exportState(model);
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, double[]> full = new LinkedHashMap<>();
        float[] gamma = floats(state, "embeddings.layerNorm.weight");
        float[] beta = floats(state, "embeddings.layerNorm.bias");
        float[] tables = squares(gamma, null);
        for (String t : new String[] {"wordEmbeddings", "tokenTypeEmbeddings", "positionEmbeddings"}) {
            out.put("embeddings." + t, tables);
        }
        int hidden = model.config().hidden();
        for (int l = 0; l < model.config().layers(); l++) {
            String p = "layers[" + l + "].";
            float[] read = squares(gamma, beta);
            float[] g2 = floats(state, p + "attentionLayerNorm.weight");
            float[] b2 = floats(state, p + "attentionLayerNorm.bias");
            float[] wv = floats(state, p + "valueWeight");
            float[] bv = floats(state, p + "valueBias");
            float[] wi = floats(state, p + "intermediateWeight");
            float[] bi = floats(state, p + "intermediateBias");
            if (secondMoments) {
                putLayer(
                        full,
                        p,
                        layerNormMoments(gamma, beta),
                        valueMoments(wv, bv, gamma, beta),
                        layerNormMoments(g2, b2),
                        geluMoments(wi, bi, g2, b2));
            } else {
                putLayer(
                        out,
                        p,
                        read,
                        valueMeanSquares(wv, bv, gamma, beta),
                        squares(g2, b2),
                        geluMeanSquares(wi, bi, g2, b2));
            }
            gamma = floats(state, p + "outputLayerNorm.weight");
            beta = floats(state, p + "outputLayerNorm.bias");
            if (gamma.length != hidden) {
                throw new IllegalStateException(p + "outputLayerNorm.weight has " + gamma.length + " values, the"
                        + " model is " + hidden + " wide");
            }
        }
        return InputStatistics.ofMoments(out, full);
    }

    /**
     * Puts one layer's statistics under its six weights' paths (prefix {@code p}), mean squares or second
     * moments alike: query, key and value read the same LayerNorm output, so they share {@code queryKeyValue}.
     */
    private static <T> void putLayer(
            Map<String, T> into, String p, T queryKeyValue, T attentionOutput, T intermediate, T output) {
        into.put(p + "queryWeight", queryKeyValue);
        into.put(p + "keyWeight", queryKeyValue);
        into.put(p + "valueWeight", queryKeyValue);
        into.put(p + "attentionOutputWeight", attentionOutput);
        into.put(p + "intermediateWeight", intermediate);
        into.put(p + "outputWeight", output);
    }

    /** {@code gamma_j^2 + beta_j^2} (without beta: {@code gamma_j^2}), in double, rounded to float. */
    static float[] squares(float[] gamma, float[] beta) {
        float[] out = new float[gamma.length];
        for (int j = 0; j < gamma.length; j++) {
            double g = gamma[j];
            double b = beta == null ? 0 : beta[j];
            out[j] = (float) (g * g + b * b);
        }
        return out;
    }

    /**
     * For each row k of {@code w} ({@code [out, in]}): the mean {@code (w beta + b)_k} and the variance
     * {@code sum_j w[k, j]^2 gamma_j^2} of {@code w y + b}, in double.
     */
    private static double[][] moments(float[] w, float[] b, float[] gamma, float[] beta) {
        int in = gamma.length;
        int out = b.length;
        if ((long) out * in != w.length) {
            throw new IllegalStateException(
                    "a weight of " + w.length + " values does not match " + out + " biases x " + in + " inputs");
        }
        double[] mean = new double[out];
        double[] var = new double[out];
        for (int k = 0; k < out; k++) {
            double m = b[k];
            double v = 0;
            for (int j = 0; j < in; j++) {
                double x = w[k * in + j];
                m += x * beta[j];
                v += x * x * gamma[j] * gamma[j];
            }
            mean[k] = m;
            var[k] = v;
        }
        return new double[][] {mean, var};
    }

    /** {@code diag(gamma^2) + beta beta^T}, row-major. */
    static double[] layerNormMoments(float[] gamma, float[] beta) {
        int n = gamma.length;
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                m[i * n + k] = (double) beta[i] * beta[k] + (i == k ? (double) gamma[i] * gamma[i] : 0);
            }
        }
        return m;
    }

    /** {@code W diag(gamma^2) W^T + mu mu^T} with {@code mu = W beta + b}: the second moment of {@code W y + b}. */
    static double[] valueMoments(float[] w, float[] b, float[] gamma, float[] beta) {
        double[] mean = moments(w, b, gamma, beta)[0];
        int in = gamma.length;
        int out = b.length;
        double[] m = new double[out * out];
        double[] scaled = new double[in];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                scaled[j] = (double) w[i * in + j] * gamma[j] * gamma[j];
            }
            for (int k = i; k < out; k++) {
                double v = mean[i] * mean[k];
                for (int j = 0; j < in; j++) {
                    v += scaled[j] * w[k * in + j];
                }
                m[i * out + k] = v;
                m[k * out + i] = v;
            }
        }
        return m;
    }

    /** {@code E[GELU(z_a)^2]} on the diagonal, {@code E[GELU(z_a)] E[GELU(z_b)]} off it (see {@link #of}). */
    static double[] geluMoments(float[] w, float[] b, float[] gamma, float[] beta) {
        double[][] mv = moments(w, b, gamma, beta);
        int out = b.length;
        double[] mean = new double[out];
        double[] square = new double[out];
        for (int k = 0; k < out; k++) {
            double sd = Math.sqrt(mv[1][k]);
            mean[k] = geluMean(mv[0][k], sd, 1);
            square[k] = geluMean(mv[0][k], sd, 2);
        }
        double[] m = new double[out * out];
        for (int i = 0; i < out; i++) {
            for (int k = 0; k < out; k++) {
                m[i * out + k] = i == k ? square[i] : mean[i] * mean[k];
            }
        }
        return m;
    }

    /** {@code mu_k^2 + v_k} of the value projection (see the class comment). */
    static float[] valueMeanSquares(float[] w, float[] b, float[] gamma, float[] beta) {
        double[][] mv = moments(w, b, gamma, beta);
        float[] out = new float[b.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) (mv[0][k] * mv[0][k] + mv[1][k]);
        }
        return out;
    }

    /** {@code E[GELU(z_k)^2]} for {@code z_k} normal with the moments of {@code w y + b} (see the class comment). */
    static float[] geluMeanSquares(float[] w, float[] b, float[] gamma, float[] beta) {
        double[][] mv = moments(w, b, gamma, beta);
        float[] out = new float[b.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) geluSquareMean(mv[0][k], Math.sqrt(mv[1][k]));
        }
        return out;
    }

    /**
     * {@code E[GELU(z)^2]} for {@code z ~ N(mu, sd^2)}: the trapezoid rule on {@value #NODES} nodes over
     * {@code mu +- 8 sd}, the normal density's weights normalised to sum to 1 (a point mass at {@code mu} when
     * {@code sd} is 0).
     */
    static double geluSquareMean(double mu, double sd) {
        return geluMean(mu, sd, 2);
    }

    /** {@code E[GELU(z)^power]} for {@code z ~ N(mu, sd^2)}, by the quadrature of {@link #geluSquareMean}. */
    static double geluMean(double mu, double sd, int power) {
        if (!(sd > 0)) {
            return Math.pow(gelu(mu), power);
        }
        double sum = 0;
        double weights = 0;
        for (int i = 0; i < NODES; i++) {
            double t = -SPAN + 2 * SPAN * i / (NODES - 1);
            double density = Math.exp(-0.5 * t * t) * (i == 0 || i == NODES - 1 ? 0.5 : 1.0);
            sum += density * Math.pow(gelu(mu + sd * t), power);
            weights += density;
        }
        return sum / weights;
    }

    /** The exact GELU, {@code z * (1 + erf(z / sqrt 2)) / 2}, by {@link Gelu#erf}. */
    static double gelu(double z) {
        return 0.5 * z * (1 + Gelu.erf(z / Math.sqrt(2)));
    }

    private static float[] floats(Map<String, Object> state, String path) {
        if (!(state.get(path) instanceof FloatTensor t)) {
            throw new IllegalStateException("the model has no float32 parameter '" + path + "' (data-free importance"
                    + " needs the float32 model, before quantization)");
        }
        return t.data();
    }
}
