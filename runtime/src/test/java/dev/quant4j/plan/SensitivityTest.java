package dev.quant4j.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.ModelPaths;
import dev.quant4j.model.ModelVisitor;
import dev.quant4j.model.ModelVisitors;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.QuantizationReport;
import dev.quant4j.model.WeightField;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.model.WeightVisitor;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sensitivity measured on a small model with a real forward function, and a plan applied to it. */
class SensitivityTest {

    /** Three chained matrices (the middle one with large outliers) and a bias that is not quantized. */
    static final class Chain {
        QuantizableTensor[] layers = new QuantizableTensor[3];
        QuantizableTensor bias;
    }

    static {
        QuantScheme declared = QuantScheme.parse("q8s:tensor");
        ModelVisitors.register(Chain.class, new ModelVisitor<Chain>() {
            @Override
            public Class<Chain> modelType() {
                return Chain.class;
            }

            @Override
            public void visit(Chain m, String path, WeightVisitor v) {
                for (int i = 0; i < m.layers.length; i++) {
                    int l = i;
                    v.weight(WeightField.tensor(
                            ModelPaths.element(path, "layers", i), declared, () -> m.layers[l], t -> m.layers[l] = t));
                }
                v.weight(WeightField.tensor(ModelPaths.child(path, "bias"), null, () -> m.bias, t -> m.bias = t));
            }
        });
    }

    private static final int N = 64;

    private static Chain model(long seed) {
        Random rnd = new Random(seed);
        Chain c = new Chain();
        for (int l = 0; l < 3; l++) {
            float[] w = new float[N * N];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rnd.nextGaussian() / Math.sqrt(N));
                if (l == 1 && rnd.nextInt(40) == 0) {
                    w[i] *= 12; // outliers: this layer loses most at 4 bits
                }
            }
            c.layers[l] = QuantizableTensor.of(w, N, N);
        }
        c.bias = QuantizableTensor.of(new float[N], N);
        return c;
    }

    private static float[] forward(Chain c, float[] x) {
        float[] h = x;
        for (QuantizableTensor t : c.layers) {
            float[] w = t.floats().data();
            float[] y = new float[N];
            for (int r = 0; r < N; r++) {
                double s = 0;
                for (int k = 0; k < N; k++) {
                    s += (double) w[r * N + k] * h[k];
                }
                y[r] = (float) Math.tanh(s);
            }
            h = y;
        }
        return h;
    }

    /** Mean squared error of the outputs on 16 fixed inputs against the float32 outputs, counting passes. */
    private static final class Error implements OutputError {
        final Chain model;
        final List<float[]> inputs = new ArrayList<>();
        final List<float[]> reference = new ArrayList<>();
        int calls;

        Error(Chain model) {
            this.model = model;
            Random rnd = new Random(7);
            for (int i = 0; i < 16; i++) {
                float[] x = new float[N];
                for (int k = 0; k < N; k++) {
                    x[k] = (float) rnd.nextGaussian();
                }
                inputs.add(x);
                reference.add(forward(model, x));
            }
        }

        @Override
        public double measure() {
            calls++;
            double s = 0;
            for (int i = 0; i < inputs.size(); i++) {
                float[] y = forward(model, inputs.get(i));
                for (int k = 0; k < N; k++) {
                    double d = y[k] - reference.get(i)[k];
                    s += d * d;
                }
            }
            return s / (inputs.size() * N);
        }
    }

    private static final List<QuantScheme> CANDIDATES = List.of(
            QuantScheme.parse("q4f:block32:f16"),
            QuantScheme.parse("q4f:block32:f16:mse"),
            QuantScheme.parse("q8s:block32:f16"));

    private static final WeightQuantizer QUANTIZER = WeightQuantizer.calibrated(Kernels.active(), null, null);

    @Test
    void measuresEachFieldAloneAndLeavesTheModelAsItWas() {
        Chain m = model(1);
        List<float[]> before = new ArrayList<>();
        for (QuantizableTensor t : m.layers) {
            before.add(t.floats().data().clone());
        }
        Error error = new Error(m);
        Sensitivity s = Sensitivity.measure(m, CANDIDATES, QUANTIZER, error);
        assertEquals(1 + 3 * 3, s.passes());
        assertEquals(s.passes(), error.calls);
        assertEquals(0, s.baseline());
        assertEquals(3, s.fields().size(), "the bias has no @Quantize: it is not planned");
        assertEquals(4L * N, s.fixedBytes());
        assertEquals(3L * N * N + N, s.weights());
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(before.get(l), m.layers[l].floats().data(), "layer " + l + " restored");
            Sensitivity.Field f = s.fields().get(l);
            assertEquals("layers[" + l + "]", f.path());
            double q4 = f.options().get(0).error();
            double q8 = f.options().get(2).error();
            assertTrue(q8 < q4 && q8 > 0, f.toString());
            assertEquals(8L * N * N / 32 * (32 / 2 + 2) / 8, f.options().get(0).bytes()); // 4 bits + f16 per 32
        }
        assertTrue(
                s.fields().get(1).options().get(0).error()
                        > s.fields().get(0).options().get(0).error(),
                "the layer with outliers is the sensitive one: " + s);
        assertTrue(s.toString().contains("layers[1]"));
    }

    @Test
    void planAppliedThroughQuantizationGivesTheMeasuredError() {
        Chain m = model(2);
        Error error = new Error(m);
        Sensitivity s = Sensitivity.measure(m, CANDIDATES, QUANTIZER, error);
        // Room for one 8-bit layer: the planner gives it to the layer with outliers.
        long q4 = s.fields().getFirst().options().getFirst().bytes();
        long q8 = s.fields().getFirst().options().get(2).bytes();
        double bpw = 8.0 * (2 * q4 + q8 + s.fixedBytes()) / s.weights();
        Plan plan = Planner.forBudget(s, bpw);
        assertEquals(QuantScheme.parse("q8s:block32:f16"), plan.schemeOf("layers[1]"), plan.toString());
        assertTrue(plan.bitsPerWeight() <= bpw);
        int calls = error.calls;
        double measured = Sensitivity.measure(m, plan, QUANTIZER, error);
        assertEquals(calls + 1, error.calls);
        // The same numbers through the Quantization API: simulate, measure, then quantize for real.
        Quantization.simulate(m, plan.quantizer(QUANTIZER));
        assertEquals(measured, error.measure());
        Chain fresh = model(2);
        // The measurement's own tensors come back for the same values; other values are quantized by the base.
        int[] baseCalls = {0};
        WeightQuantizer counting = (path, w, scheme) -> {
            baseCalls[0]++;
            return QUANTIZER.quantize(path, w, scheme);
        };
        QuantizationReport report = plan.apply(fresh, s.quantizer(counting));
        assertEquals(0, baseCalls[0], "same weights: nothing quantized again");
        Chain other = model(5);
        plan.apply(other, s.quantizer(counting));
        assertEquals(3, baseCalls[0], "other weights: each field quantized by the base");
        Chain direct = model(2);
        plan.apply(direct, QUANTIZER);
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(
                    direct.layers[l].quantized().dequantize().data(),
                    fresh.layers[l].quantized().dequantize().data(),
                    "layer " + l + ": cached = quantized afresh");
        }
        assertEquals(plan.bytes() - s.fixedBytes(), report.totalBytesAfter());
        for (Plan.Choice c : plan.choices()) {
            assertEquals(
                    c.scheme().storedForm(), report.entry(c.path()).scheme().storedForm(), c.path());
        }
        // An error floor, re-measured: each round's plan predicts at most the floor, and the error returned is
        // that plan's, measured.
        Chain again = model(2);
        Error againError = new Error(again);
        Planner.Measured met = Planner.forError(s, measured * 0.5, again, QUANTIZER, againError, 4);
        assertTrue(met.rounds() >= 1 && met.rounds() <= 4);
        assertTrue(met.plan().predictedError() <= measured * 0.5);
        assertEquals(met.measuredError(), Sensitivity.measure(again, met.plan(), QUANTIZER, againError));
    }

    @Test
    void refusesAFieldNoCandidateFits() {
        Chain m = model(3);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Sensitivity.measure(
                        m, List.of(QuantScheme.parse("q4f:block2x2x2:f16")), QUANTIZER, new Error(m)));
        assertTrue(e.getMessage().contains("'layers[0]'"), e.getMessage());
    }
}
