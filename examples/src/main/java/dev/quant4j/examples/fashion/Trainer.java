package dev.quant4j.examples.fashion;

import dev.quant4j.qat.ActivationFakeQuantizer;
import dev.quant4j.qat.FakeQuantize;
import dev.quant4j.qat.QatModel;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mini-batch training of {@link FashionMlp} in plain Java: softmax cross-entropy, Adam, one thread.
 * Deterministic: the same seed, data and options give the same weights bit for bit, because every sum runs
 * in a fixed order and the products are written as scaled additions ({@code y += a * row}) rather than
 * reductions, which also lets the JIT vectorize them without reordering anything.
 *
 * <p>Under quantization-aware training ({@code qat} not null) the forward reads the layers' fields, which
 * hold fake-quantized weights; the weight gradients go through {@link QatModel#straightThrough} to the
 * float32 masters, Adam updates the masters, and {@link QatModel#refresh} fake-quantizes them again.
 * Activation fake quantizers, where a layer has one, quantize that layer's input in the forward and pass
 * the gradient straight through where it was not clipped.
 */
final class Trainer {
    private final FashionMlp model;
    private final QatModel qat;
    private final ActivationFakeQuantizer[] activations;
    private float learningRate;
    private final Adam[] weightSteps = new Adam[3];
    private final Adam[] biasSteps = new Adam[3];

    /**
     * @param qat         the prepared QAT session, or null for float32 training
     * @param activations per layer, its input's fake quantizer or null (may be null: none)
     */
    Trainer(FashionMlp model, QatModel qat, ActivationFakeQuantizer[] activations, float learningRate) {
        this.model = model;
        this.qat = qat;
        this.activations = activations == null ? new ActivationFakeQuantizer[3] : activations.clone();
        this.learningRate = learningRate;
        List<Dense> layers = model.layers();
        for (int l = 0; l < 3; l++) {
            weightSteps[l] = new Adam(layers.get(l).in * layers.get(l).out);
            biasSteps[l] = new Adam(layers.get(l).out);
        }
    }

    /** Sets the learning rate of the following steps (a schedule); Adam's moments carry on. */
    void learningRate(float rate) {
        this.learningRate = rate;
    }

    /** Per layer, the activation quantizer of that layer's weight field in {@code qat} (null entries: none). */
    static ActivationFakeQuantizer[] activationsOf(QatModel qat) {
        ActivationFakeQuantizer[] a = new ActivationFakeQuantizer[3];
        for (int l = 0; l < 3; l++) {
            a[l] = qat.activations(FashionMlp.weightPath(l));
        }
        return a;
    }

    /** One epoch over {@code data} in an order shuffled by {@code seed}; returns the mean loss. */
    double epoch(FashionMnist.Split data, int batchSize, long seed, Runnable perBatch) {
        int n = data.count();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double loss = 0;
        int batches = 0;
        for (int from = 0; from < n; from += batchSize) {
            int b = Math.min(batchSize, n - from);
            float[] x = new float[b * FashionMnist.PIXELS];
            int[] y = new int[b];
            for (int k = 0; k < b; k++) {
                int idx = order[from + k];
                pixels(data, idx, x, k);
                y[k] = data.labels()[idx];
            }
            loss += step(x, y, b);
            batches++;
            if (perBatch != null) {
                perBatch.run();
            }
        }
        return loss / Math.max(batches, 1);
    }

    /** One optimizer step on a batch; returns its mean cross-entropy before the step. */
    double step(float[] x, int[] labels, int batch) {
        Tape tape = new Tape();
        float[] logits = forward(model, activations, x, batch, tape);
        int classes = FashionMnist.CLASSES;
        float[] g = new float[logits.length];
        double loss = 0;
        for (int b = 0; b < batch; b++) {
            int o = b * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[o + c] - max);
            }
            loss += Math.log(sum) - (logits[o + labels[b]] - max);
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(logits[o + c] - max) / sum;
                g[o + c] = (float) ((p - (c == labels[b] ? 1 : 0)) / batch);
            }
        }
        backward(tape, g, batch);
        if (qat != null) {
            qat.refresh();
        }
        return loss / batch;
    }

    private void backward(Tape tape, float[] g, int batch) {
        List<Dense> layers = model.layers();
        for (int l = 2; l >= 0; l--) {
            Dense d = layers.get(l);
            float[] in = tape.inputs[l];
            float[] w = d.weight.get();
            float[] gradW = new float[d.in * d.out];
            float[] gradB = new float[d.out];
            float[] gradIn = l > 0 ? new float[batch * d.in] : null;
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < d.out; o++) {
                    float gv = g[b * d.out + o];
                    if (gv == 0f) {
                        continue;
                    }
                    gradB[o] += gv;
                    axpy(gv, in, b * d.in, gradW, o * d.in, d.in);
                    if (gradIn != null) {
                        axpy(gv, w, o * d.in, gradIn, b * d.in, d.in);
                    }
                }
            }
            if (gradIn != null) {
                if (tape.inside[l] != null) {
                    FakeQuantize.straightThrough(gradIn, tape.inside[l]);
                }
                float[] previous = tape.outputs[l - 1];
                for (int i = 0; i < gradIn.length; i++) {
                    if (previous[i] <= 0f) {
                        gradIn[i] = 0f;
                    }
                }
            }
            float[] weights;
            if (qat != null) {
                String path = FashionMlp.weightPath(l);
                qat.straightThrough(path, gradW);
                weights = qat.master(path);
            } else {
                weights = w;
            }
            weightSteps[l].update(weights, gradW, learningRate);
            biasSteps[l].update(d.bias, gradB, learningRate);
            g = gradIn;
        }
    }

    /** What the backward needs from the forward: each layer's (quantized) input, its mask, its output. */
    static final class Tape {
        final float[][] inputs = new float[3][];
        final boolean[][] inside = new boolean[3][];
        final float[][] outputs = new float[3][];
    }

    /**
     * The logits of a batch, {@code [batch, 10]}; records into {@code tape} when it is not null.
     * Reads every weight from its field ({@code weight.get()}): floats, fake-quantized or dequantized.
     */
    static float[] forward(FashionMlp model, ActivationFakeQuantizer[] activations, float[] x, int batch, Tape tape) {
        float[] h = x;
        List<Dense> layers = model.layers();
        for (int l = 0; l < 3; l++) {
            Dense d = layers.get(l);
            float[] in = h;
            boolean[] inside = null;
            ActivationFakeQuantizer a = activations == null ? null : activations[l];
            if (a != null) {
                inside = tape == null ? null : new boolean[h.length];
                in = a.apply(h, batch, d.in, inside);
            }
            float[] y = linear(in, batch, d.in, d.weight.get(), d.bias, d.out);
            if (l < 2) {
                for (int i = 0; i < y.length; i++) {
                    y[i] = Math.max(y[i], 0f);
                }
            }
            if (tape != null) {
                tape.inputs[l] = in;
                tape.inside[l] = inside;
                tape.outputs[l] = y;
            }
            h = y;
        }
        return h;
    }

    /** {@code y[b] = W x[b] + bias} for {@code W [out, in]}, as scaled additions of the rows of {@code W}'s transpose. */
    static float[] linear(float[] x, int batch, int in, float[] w, float[] bias, int out) {
        float[] wt = new float[in * out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        float[] y = new float[batch * out];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(bias, 0, y, b * out, out);
            for (int i = 0; i < in; i++) {
                float xv = x[b * in + i];
                if (xv != 0f) {
                    axpy(xv, wt, i * out, y, b * out, out);
                }
            }
        }
        return y;
    }

    /** {@code y[yo ..] += a * x[xo ..]} over {@code n} elements. */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    /** Example {@code idx}'s pixels scaled to [0, 1] into row {@code row} of {@code x}. */
    static void pixels(FashionMnist.Split data, int idx, float[] x, int row) {
        byte[] p = data.pixels();
        int src = idx * FashionMnist.PIXELS;
        int dst = row * FashionMnist.PIXELS;
        for (int i = 0; i < FashionMnist.PIXELS; i++) {
            x[dst + i] = (p[src + i] & 0xFF) / 255f;
        }
    }

    /** Test accuracy: the share of {@code data} whose largest logit is its label. */
    static double accuracy(FashionMlp model, ActivationFakeQuantizer[] activations, FashionMnist.Split data) {
        int[] predicted = predict(model, activations, data);
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == data.labels()[i] ? 1 : 0;
        }
        return (double) correct / Math.max(data.count(), 1);
    }

    /** The predicted class of every example (first largest logit). */
    static int[] predict(FashionMlp model, ActivationFakeQuantizer[] activations, FashionMnist.Split data) {
        int n = data.count();
        int[] out = new int[n];
        int chunk = 500;
        for (int from = 0; from < n; from += chunk) {
            int b = Math.min(chunk, n - from);
            float[] x = new float[b * FashionMnist.PIXELS];
            for (int k = 0; k < b; k++) {
                pixels(data, from + k, x, k);
            }
            float[] logits = forward(model, activations, x, b, null);
            for (int k = 0; k < b; k++) {
                int best = 0;
                for (int c = 1; c < FashionMnist.CLASSES; c++) {
                    if (logits[k * FashionMnist.CLASSES + c] > logits[k * FashionMnist.CLASSES + best]) {
                        best = c;
                    }
                }
                out[from + k] = best;
            }
        }
        return out;
    }

    /** Adam (Kingma and Ba), PyTorch's defaults: beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected. */
    static final class Adam {
        private final float[] m;
        private final float[] v;
        private int t;

        Adam(int n) {
            m = new float[n];
            v = new float[n];
        }

        void update(float[] params, float[] grad, float lr) {
            t++;
            float c1 = (float) (1 - Math.pow(0.9, t));
            float c2 = (float) (1 - Math.pow(0.999, t));
            for (int i = 0; i < params.length; i++) {
                m[i] = 0.9f * m[i] + 0.1f * grad[i];
                v[i] = 0.999f * v[i] + 0.001f * grad[i] * grad[i];
                params[i] -= lr * (m[i] / c1) / ((float) Math.sqrt(v[i] / c2) + 1e-8f);
            }
        }
    }
}
