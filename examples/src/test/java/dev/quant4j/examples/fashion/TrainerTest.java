package dev.quant4j.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** A tiny fixed batch: 32 random images, 10 labels. */
    static FashionMnist.Split tinyBatch(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] pixels = new byte[n * FashionMnist.PIXELS];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % FashionMnist.CLASSES);
            for (int p = 0; p < FashionMnist.PIXELS; p++) {
                // Class-dependent stripes plus noise: learnable, but not at once.
                boolean on = (p / 28 + labels[i] * 3) % 10 < 3;
                pixels[i * FashionMnist.PIXELS + p] = (byte) (on ? 150 + r.nextInt(100) : r.nextInt(60));
            }
        }
        return new FashionMnist.Split("tiny", pixels, labels);
    }

    static double loss(FashionMlp model, FashionMnist.Split data) {
        float[] x = new float[data.count() * FashionMnist.PIXELS];
        for (int i = 0; i < data.count(); i++) {
            Trainer.pixels(data, i, x, i);
        }
        float[] logits = Trainer.forward(model, null, x, data.count(), null);
        double loss = 0;
        for (int b = 0; b < data.count(); b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 10; c++) {
                max = Math.max(max, logits[b * 10 + c]);
            }
            double sum = 0;
            for (int c = 0; c < 10; c++) {
                sum += Math.exp(logits[b * 10 + c] - max);
            }
            loss += Math.log(sum) - (logits[b * 10 + data.labels()[b]] - max);
        }
        return loss / data.count();
    }

    @Test
    void trainingDecreasesTheLossOnATinyFixedBatch() {
        FashionMnist.Split batch = tinyBatch(1, 32);
        FashionMlp model = new FashionMlp(new int[] {FashionMnist.PIXELS, 32, 16, 10}, 5);
        double before = loss(model, batch);
        Trainer t = new Trainer(model, null, null, 1e-3f);
        double previous = before;
        for (int epoch = 0; epoch < 20; epoch++) {
            t.epoch(batch, 8, epoch, null);
        }
        double after = loss(model, batch);
        assertTrue(before > 1.5, "an untrained model is near chance (ln 10 = 2.3): " + before);
        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
        assertEquals(1.0, Trainer.accuracy(model, null, batch), "it fits 32 examples");
        assertTrue(previous >= after);
    }

    @Test
    void trainingIsDeterministicForASeed() {
        FashionMnist.Split batch = tinyBatch(2, 24);
        float[][] weights = new float[2][];
        for (int run = 0; run < 2; run++) {
            FashionMlp model = new FashionMlp(new int[] {FashionMnist.PIXELS, 16, 8, 10}, 9);
            Trainer t = new Trainer(model, null, null, 1e-3f);
            for (int epoch = 0; epoch < 3; epoch++) {
                t.epoch(batch, 8, epoch, null);
            }
            weights[run] = model.hidden1.weight.get().clone();
        }
        assertArrayEquals(weights[0], weights[1]);
    }

    @Test
    void theGeneratedVisitorReportsTheThreeWeightsAndBiases() {
        FashionMlp model = new FashionMlp(new int[] {FashionMnist.PIXELS, 16, 8, 10}, 1);
        StringBuilder paths = new StringBuilder();
        for (WeightField f : Quantization.fields(model)) {
            paths.append(f.path())
                    .append(f.isQuantizable() ? "=" + f.scheme() : "")
                    .append(' ');
        }
        assertEquals(
                "hidden1.weight=q4s:block32:f32:u32:a8static:movingminmax hidden1.bias "
                        + "hidden2.weight=q4s:block32:f32:u32:a8static:movingminmax hidden2.bias "
                        + "output.weight=q4s:block32:f32:u32:a8static:movingminmax output.bias ",
                paths.toString());
    }
}
