package dev.quant4j.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import dev.quant4j.qat.ActivationFakeQuantizer;
import dev.quant4j.qat.QatModel;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** prepare -> train -> convert through the generated visitor of {@link FashionMlp}. */
class QatRoundTripTest {
    private static final int[] WIDTHS = {FashionMnist.PIXELS, 48, 24, 10};

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Float.floatToRawIntBits(a[i]);
        }
        return out;
    }

    @Test
    void prepareShowsTheForwardFakeQuantizedWeightsAndKeepsFloatMasters() {
        FashionMlp model = new FashionMlp(WIDTHS, 3);
        float[] original = model.hidden1.weight.get().clone();
        QuantScheme scheme = QuantScheme.parse("q2s:block32");
        QatModel qat = QatModel.prepare(model, f -> scheme);
        assertEquals(List.of("hidden1.weight", "hidden2.weight", "output.weight"), qat.paths());
        assertArrayEquals(bits(original), bits(qat.master("hidden1.weight")), "the master is the float32 weight");
        float[] expected = Kernels.scalar()
                .quantize("w", FloatTensor.of(original, 48, FashionMnist.PIXELS), scheme)
                .dequantize()
                .data();
        assertArrayEquals(bits(expected), bits(model.hidden1.weight.get()), "the field holds dequantize(quantize(w))");
        assertFalse(model.hidden1.weight.isQuantized());
        assertNull(qat.activations("hidden1.weight"), "a weight-only scheme quantizes no activations");
        // A step moves the master; refresh shows its new fake quantization.
        qat.master("hidden1.weight")[0] += 1f;
        qat.refresh();
        assertEquals(
                Kernels.scalar()
                        .quantize("w", FloatTensor.of(qat.master("hidden1.weight"), 48, FashionMnist.PIXELS), scheme)
                        .dequantize()
                        .data()[0],
                model.hidden1.weight.get()[0]);
    }

    @Test
    void convertAfterTrainingKeepsTheLastForwardBitForBitWithAnnotatedActivations() {
        FashionMnist.Split batch = TrainerTest.tinyBatch(4, 40);
        FashionMlp model = new FashionMlp(WIDTHS, 4);
        new Trainer(model, null, null, 1e-3f).epoch(batch, 8, 0, null);

        QatModel qat = QatModel.prepare(model); // the annotated schemes: Q4S block32, static int8 activations
        assertEquals(QuantScheme.parse("q4s:block32:a8static:movingminmax"), qat.scheme("output.weight"));
        ActivationFakeQuantizer[] activations = Trainer.activationsOf(qat);
        for (ActivationFakeQuantizer a : activations) {
            assertNotNull(a);
            assertEquals(ActivationMode.STATIC, a.mode());
        }
        Trainer t = new Trainer(model, qat, activations, 1e-3f);
        for (int e = 0; e < 3; e++) {
            t.epoch(batch, 8, 10 + e, null);
        }
        assertTrue(activations[1].observer().hasObserved());
        qat.freezeObservers();
        float[][] lastForward = new float[3][];
        for (int l = 0; l < 3; l++) {
            lastForward[l] = model.layers().get(l).weight.get().clone();
        }
        int[] fakePredictions = Trainer.predict(model, activations, batch);
        float[] x = new float[batch.count() * FashionMnist.PIXELS];
        for (int i = 0; i < batch.count(); i++) {
            Trainer.pixels(batch, i, x, i);
        }
        float[] fakeLogits = Trainer.forward(model, activations, x, batch.count(), null);

        qat.convert();
        for (int l = 0; l < 3; l++) {
            Dense d = model.layers().get(l);
            assertTrue(d.weight.isQuantized(), "layer " + l + " holds real quantized weights");
            QuantizedTensor q = d.weight.quantized();
            assertEquals(QuantScheme.parse("q4s:block32:a8static:movingminmax"), q.scheme());
            assertArrayEquals(bits(lastForward[l]), bits(q.dequantize().data()), "layer " + l);
        }
        assertArrayEquals(bits(fakeLogits), bits(Trainer.forward(model, activations, x, batch.count(), null)));
        assertArrayEquals(fakePredictions, Trainer.predict(model, activations, batch));
        assertFalse(activations[0].isObserving(), "the converted model keeps the frozen activation scales");
        // The visitor sees the converted state: three quantized weights.
        long quantized = Quantization.fields(model).stream()
                .filter(WeightField::isQuantized)
                .count();
        assertEquals(3, quantized);
        assertThrows(IllegalStateException.class, qat::refresh);
        // Quantized fields cannot be prepared again without dequantizing first.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> QatModel.prepare(model));
        assertTrue(e.getMessage().contains("hidden1.weight"), e.getMessage());
    }

    @Test
    void straightThroughZeroesTheGradientOfClippedWeights() {
        // Q8F clips +amax (127.5 rounds to 128): a weight that is the largest of its block gets no gradient.
        // +1.8 / (1.8 / 127.5) is 127.5 in float32 (NUMERICS.md's check vector): it rounds to 128 and clips.
        FashionMlp model = new FashionMlp(WIDTHS, 5);
        float[] w = model.output.weight.get();
        for (int i = 0; i < 24; i++) {
            w[i] = Math.clamp(w[i], -1f, 1f);
        }
        int argmax = 7;
        w[argmax] = 1.8f;
        QatModel qat = QatModel.prepare(model, f -> QuantScheme.parse("q8f:block24"));
        float[] g = new float[w.length];
        java.util.Arrays.fill(g, 1f);
        qat.straightThrough("output.weight", g);
        for (int i = 0; i < 24; i++) {
            assertEquals(i == argmax ? 0f : 1f, g[i], "element " + i);
        }
    }
}
