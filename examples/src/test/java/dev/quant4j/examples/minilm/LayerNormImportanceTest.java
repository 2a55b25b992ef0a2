package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The data-free importances: the formulas against direct computations, and every weight of MiniLM covered. */
class LayerNormImportanceTest {

    @Test
    void geluMomentsOfANormalMatchTheClosedForm() {
        // E[z Phi(z)] = sd^2 / sqrt(2 pi (1 + sd^2)) for z ~ N(0, sd^2); a point mass gives GELU(mu)^power.
        for (double sd : new double[] {0.3, 1, 2.5, 6}) {
            double expected = sd * sd / Math.sqrt(2 * Math.PI * (1 + sd * sd));
            assertEquals(expected, LayerNormImportance.geluMean(0, sd, 1), 1e-9 * (1 + expected), "sd " + sd);
        }
        assertEquals(Math.pow(LayerNormImportance.gelu(1.5), 2), LayerNormImportance.geluSquareMean(1.5, 0), 0);
        // Far right of 0, GELU(z) = z: E[z^2] = mu^2 + sd^2.
        assertEquals(12 * 12 + 1, LayerNormImportance.geluSquareMean(12, 1), 1e-6);
    }

    @Test
    void valueMomentsAreTheSecondMomentOfTheProjectionOfALayerNormOutput() {
        Random r = new Random(3);
        int in = 5;
        int out = 4;
        float[] w = new float[out * in];
        float[] b = new float[out];
        float[] gamma = new float[in];
        float[] beta = new float[in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < in; i++) {
            gamma[i] = 0.5f + r.nextFloat();
            beta[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < out; i++) {
            b[i] = (float) r.nextGaussian();
        }
        // E[(W y + b)(W y + b)^T] with E[y y^T] = diag(gamma^2) + beta beta^T and E[y] = beta, term by term.
        double[] yy = LayerNormImportance.layerNormMoments(gamma, beta);
        double[] m = LayerNormImportance.valueMoments(w, b, gamma, beta);
        float[] meanSquares = LayerNormImportance.valueMeanSquares(w, b, gamma, beta);
        for (int i = 0; i < out; i++) {
            for (int k = 0; k < out; k++) {
                double v = b[i] * (double) b[k];
                for (int j = 0; j < in; j++) {
                    v += (double) w[i * in + j] * beta[j] * b[k] + (double) b[i] * w[k * in + j] * beta[j];
                    for (int l = 0; l < in; l++) {
                        v += (double) w[i * in + j] * yy[j * in + l] * w[k * in + l];
                    }
                }
                assertEquals(v, m[i * out + k], 1e-9 * (1 + Math.abs(v)), "(" + i + ", " + k + ")");
            }
            assertEquals(m[i * out + i], meanSquares[i], 1e-5 * m[i * out + i]);
        }
        assertArrayEquals(
                new float[] {gamma[0] * gamma[0] + beta[0] * beta[0]},
                LayerNormImportance.squares(new float[] {gamma[0]}, new float[] {beta[0]}),
                1e-6f);
    }

    @Test
    void everyQuantizedWeightOfMiniLmHasFiniteImportancesAlongItsLastDimension() throws IOException {
        HolderMiniLmModel model = MiniLmLoader.holderModel(MiniLmLoader.weightsFromClasspath());
        for (boolean full : new boolean[] {false, true}) {
            InputStatistics s = LayerNormImportance.of(model, full);
            int fields = 0;
            for (WeightField f : Quantization.fields(model)) {
                if (!f.isQuantizable()) {
                    continue;
                }
                fields++;
                float[] m = s.meanSquares(f.path());
                assertNotNull(m, f.path());
                int[] shape = f.shape();
                assertEquals(shape[shape.length - 1], m.length, f.path());
                for (float v : m) {
                    assertTrue(v >= 0 && Float.isFinite(v), f.path() + ": " + v);
                }
                boolean table = f.path().startsWith("embeddings.");
                assertEquals(full && !table, s.secondMoments(f.path()) != null, f.path());
            }
            assertEquals(3 + 6 * 6, fields, "three tables and six matrices in each of six layers");
        }
        // The tables take gamma^2 of the embedding LayerNorm; layer 0's query gamma^2 + beta^2 of the same.
        InputStatistics s = LayerNormImportance.of(model);
        float[] g = model.embeddings.layerNorm().weight;
        float[] be = model.embeddings.layerNorm().bias;
        assertEquals(g[7] * g[7], s.meanSquares("embeddings.wordEmbeddings")[7], 1e-6f * g[7] * g[7]);
        float q = g[7] * g[7] + be[7] * be[7];
        assertEquals(q, s.meanSquares("layers[0].queryWeight")[7], 1e-6f * q);
    }
}
