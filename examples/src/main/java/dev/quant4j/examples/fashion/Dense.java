package dev.quant4j.examples.fashion;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.annotations.Quantize;
import dev.quant4j.model.QuantizableTensor;
import java.util.SplittableRandom;

/**
 * A fully connected layer, {@code y = W x + b}, with {@code W} as {@code [out, in]} (blocks run along the
 * input, as GGUF and the holder's matvec have them). The annotation is the model's own choice (Q4S blocks
 * of 32, int8 static activations observed with PyTorch's QAT default); the scheme sweep of
 * {@link QatExperiment} overrides the weight part for all layers at once.
 */
public final class Dense {
    final int in;
    final int out;

    @Quantize(
            value = QuantValue.Q4S,
            level = QuantLevel.BLOCK,
            blockSize = 32,
            activations = ActivationMode.STATIC,
            activationCalibration = ActivationCalibration.MOVING_AVERAGE_MIN_MAX)
    QuantizableTensor weight;

    float[] bias;

    /** He-initialized weights (normal, variance 2 / in) and zero biases, from {@code random}. */
    Dense(int in, int out, SplittableRandom random) {
        this.in = in;
        this.out = out;
        float[] w = new float[in * out];
        double std = Math.sqrt(2.0 / in);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (gaussian(random) * std);
        }
        this.weight = QuantizableTensor.of(w, out, in);
        this.bias = new float[out];
    }

    private Dense(Dense other) {
        this.in = other.in;
        this.out = other.out;
        this.weight = other.weight.isQuantized()
                ? other.weight
                : QuantizableTensor.of(other.weight.get().clone(), out, in);
        this.bias = other.bias.clone();
    }

    Dense copy() {
        return new Dense(this);
    }

    /** A standard normal sample by Box-Muller, so the stream is the same on every JDK. */
    static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
