package dev.quant4j.examples.fashion;

import dev.quant4j.annotations.QuantModule;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The classifier: 784 pixels (scaled to [0, 1]) -> 256 -> 128 -> 10 logits, ReLU between layers. Its
 * weights are the three layers' {@code @Quantize} fields, which the generated visitor reports as
 * {@code hidden1.weight}, {@code hidden2.weight} and {@code output.weight}.
 */
@QuantModule
public final class FashionMlp {
    static final int[] DEFAULT_WIDTHS = {FashionMnist.PIXELS, 256, 128, FashionMnist.CLASSES};

    final Dense hidden1;
    final Dense hidden2;
    final Dense output;

    FashionMlp(int[] widths, long seed) {
        if (widths.length != 4) {
            throw new IllegalArgumentException("the MLP has three layers: give four widths");
        }
        SplittableRandom random = new SplittableRandom(seed);
        this.hidden1 = new Dense(widths[0], widths[1], random);
        this.hidden2 = new Dense(widths[1], widths[2], random);
        this.output = new Dense(widths[2], widths[3], random);
    }

    private FashionMlp(FashionMlp other) {
        this.hidden1 = other.hidden1.copy();
        this.hidden2 = other.hidden2.copy();
        this.output = other.output.copy();
    }

    /** A deep copy of the float weights (quantized holders are immutable and shared). */
    FashionMlp copy() {
        return new FashionMlp(this);
    }

    /** The layers in order. */
    List<Dense> layers() {
        return List.of(hidden1, hidden2, output);
    }

    /** The path of a layer's weight field as the visitor names it. */
    static String weightPath(int layer) {
        return switch (layer) {
            case 0 -> "hidden1.weight";
            case 1 -> "hidden2.weight";
            case 2 -> "output.weight";
            default -> throw new IllegalArgumentException("layer " + layer);
        };
    }

    /** Number of weights in the three matrices (biases not counted). */
    long weightCount() {
        long n = 0;
        for (Dense d : layers()) {
            n += (long) d.in * d.out;
        }
        return n;
    }
}
