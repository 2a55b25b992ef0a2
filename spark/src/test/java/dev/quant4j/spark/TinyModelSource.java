package dev.quant4j.spark;

import dev.quant4j.calibrate.CalibrationSource;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A calibration source for tests: a seeded two-layer model. A record is token ids separated by spaces;
 * each token's 32-value embedding is the input of {@link #UP} {@code [64, 32]}, and the ReLU of that
 * product the input of {@link #DOWN} {@code [32, 64]}. Option {@code seed} (default 14) picks the weights.
 */
public final class TinyModelSource implements CalibrationSource {
    static final String UP = "model.layers.0.mlp.up_proj.weight";
    static final String DOWN = "model.layers.0.mlp.down_proj.weight";
    static final int VOCAB = 100;
    static final int DIM = 32;
    static final int HIDDEN = 64;

    private float[] embeddings;
    private float[] up;

    /** The weights of a seed: embeddings [VOCAB, DIM], up [HIDDEN, DIM], down [DIM, HIDDEN]. */
    static float[][] weights(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] w = {new float[VOCAB * DIM], new float[HIDDEN * DIM], new float[DIM * HIDDEN]};
        for (float[] a : w) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (rnd.nextDouble() - 0.5);
            }
        }
        // A few outlier channels, as a LayerNorm's output carries.
        for (int t = 0; t < VOCAB; t++) {
            w[0][t * DIM + 3] *= 20;
        }
        return w;
    }

    @Override
    public void open(Map<String, String> options) {
        float[][] w = weights(Long.parseLong(options.getOrDefault("seed", "14")));
        embeddings = w[0];
        up = w[1];
    }

    @Override
    public void record(String record, InputSink sink) {
        String[] tokens = record.trim().split("\\s+");
        float[] x = new float[tokens.length * DIM];
        for (int i = 0; i < tokens.length; i++) {
            int id;
            try {
                id = Integer.parseInt(tokens[i]);
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 0 || id >= VOCAB) {
                throw new IllegalArgumentException("'" + tokens[i] + "' is not a token id (0 to " + (VOCAB - 1) + ")");
            }
            System.arraycopy(embeddings, id * DIM, x, i * DIM, DIM);
        }
        sink.add(UP, x, tokens.length, DIM);
        float[] h = new float[tokens.length * HIDDEN];
        for (int i = 0; i < tokens.length; i++) {
            for (int o = 0; o < HIDDEN; o++) {
                float s = 0;
                for (int k = 0; k < DIM; k++) {
                    s += x[i * DIM + k] * up[o * DIM + k];
                }
                h[i * HIDDEN + o] = Math.max(s, 0f);
            }
        }
        sink.add(DOWN, h, tokens.length, HIDDEN);
    }
}
