package dev.quant4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LearnedScaleTest {

    @Test
    void initialForwardEqualsTheContractAndConvertsBitForBit() {
        Random rnd = new Random(3);
        for (QuantScheme scheme : FakeQuantizeTest.allSchemes()) {
            int rows = 1 + rnd.nextInt(4);
            int cols = 1 + rnd.nextInt(50);
            int[] shape = scheme.blockRank() > 1 ? new int[] {rows, cols} : new int[] {rows * cols};
            float[] x = FakeQuantizeTest.randomValues(rnd, rows * cols);
            FloatTensor t = FloatTensor.of(x, shape);
            LearnedScale lsq = LearnedScale.fromMinMax("w", t, scheme);
            LearnedScale.Forward f = lsq.forward(x);
            float[] contract =
                    Kernels.scalar().quantize("w", t, scheme).dequantize().data();
            float[] learned = lsq.toQuantized(f).dequantize().data();
            for (int i = 0; i < x.length; i++) {
                // All-zero blocks start at the smallest normal scale instead of 0: values stay 0 either way.
                assertEquals(
                        Float.floatToRawIntBits(contract[i]) == Float.floatToRawIntBits(-0f) ? 0f : contract[i],
                        f.values()[i] == -0f ? 0f : f.values()[i],
                        scheme + " element " + i);
                assertEquals(
                        Float.floatToRawIntBits(f.values()[i]),
                        Float.floatToRawIntBits(learned[i]),
                        scheme + " converted element " + i);
            }
        }
    }

    @Test
    void convertedTensorMatchesTheForwardAfterTheScalesMove() {
        Random rnd = new Random(4);
        for (QuantScheme scheme : schemes("q4s:block32:f16", "q2s:block8", "e2m1:block32:ue8m0", "q8f:tensor:bf16")) {
            float[] x = FakeQuantizeTest.randomValues(rnd, 96);
            LearnedScale lsq = LearnedScale.fromMinMax("w", FloatTensor.vector(x), scheme);
            float[] s = lsq.scales();
            for (int b = 0; b < s.length; b++) {
                s[b] *= 0.3f + rnd.nextFloat(); // some elements clip now
            }
            LearnedScale.Forward f = lsq.forward(x);
            QuantizedTensor q = lsq.toQuantized(f);
            float[] back = q.dequantize().data();
            for (int i = 0; i < x.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(f.values()[i]), Float.floatToRawIntBits(back[i]), scheme + " " + i);
            }
        }
    }

    /**
     * LSQ's scale gradient is the derivative of the forward with the rounding passed straight through:
     * {@code x'(s) = s * (x / s + d)} with the rounding offset {@code d = level(x / s0) - x / s0} held at
     * {@code s0} inside the range, and {@code x'(s) = s * (±bound)} where clipped. A central finite difference
     * of {@code L = sum g_i x'_i} over that surrogate, times LSQ's 1 / sqrt(n * qmax), must match.
     */
    @Test
    void scaleGradientMatchesFiniteDifferences() {
        Random rnd = new Random(5);
        for (QuantScheme scheme : schemes(
                "q4s:block16",
                "q2s:tensor",
                "q8f:block(2,3)".replace("(", "").replace(")", "").replace(",", "x"),
                "e2m1:block8")) {
            int rows = 4;
            int cols = 24;
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            FloatTensor t = FloatTensor.of(x, rows, cols);
            LearnedScale lsq = LearnedScale.fromMinMax("w", t, scheme);
            float[] s = lsq.scales();
            for (int b = 0; b < s.length; b++) {
                s[b] *= 0.6f; // about a tenth of the elements clip
            }
            LearnedScale.Forward f = lsq.forward(x);
            float[] g = new float[x.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rnd.nextGaussian();
            }
            float[] gradX = new float[x.length];
            float[] gradS = lsq.backward(f, g, gradX);
            float[] factor = lsq.gradientScales();
            int clipped = 0;
            double bound = FakeQuantize.maxLevel(scheme.value());
            for (int b = 0; b < s.length; b++) {
                double s0 = f.scales()[b];
                double h = 1e-4 * s0;
                double plus = 0;
                double minus = 0;
                for (int i = 0; i < x.length; i++) {
                    if (blockOf(lsq, rows, cols, i) != b) {
                        continue;
                    }
                    double y0 = x[i] / s0;
                    if (f.inside()[i]) {
                        double d = f.levels()[i] - y0;
                        plus += g[i] * ((s0 + h) * (x[i] / (s0 + h) + d));
                        minus += g[i] * ((s0 - h) * (x[i] / (s0 - h) + d));
                        assertEquals(g[i], gradX[i]);
                    } else {
                        clipped++;
                        plus += g[i] * (s0 + h) * Math.copySign(bound, x[i]);
                        minus += g[i] * (s0 - h) * Math.copySign(bound, x[i]);
                        assertEquals(0f, gradX[i]);
                    }
                }
                double expected = (plus - minus) / (2 * h) * factor[b];
                assertEquals(expected, gradS[b], 1e-3 * Math.max(1, Math.abs(expected)), scheme + " block " + b);
            }
            assertTrue(clipped > 0, scheme + ": the case must clip something");
            if (scheme.level() == QuantLevel.TENSOR) {
                assertEquals((float) (1 / Math.sqrt(x.length * bound)), factor[0], 1e-7);
            }
        }
    }

    /** Block index of flat element i, from the layout's walk. */
    private static int blockOf(LearnedScale lsq, int rows, int cols, int i) {
        int[] found = {-1};
        new dev.quant4j.tensor.BlockLayout(new int[] {rows, cols}, lsq.scheme()).forEachRun((block, from, to) -> {
            if (i >= from && i < to) {
                found[0] = block;
            }
        });
        return found[0];
    }

    @Test
    void gradientScaleUsesTheElementsOfEachBlock() {
        // 40 elements in blocks of 32: the second block holds 8. Q4S qmax = 7.
        LearnedScale lsq = LearnedScale.fromMinMax(
                "w",
                FloatTensor.vector(new float[40]),
                QuantScheme.parse("q4s:block32").withParam(QuantParam.F32));
        assertArrayEquals(
                new float[] {(float) (1 / Math.sqrt(32 * 7.0)), (float) (1 / Math.sqrt(8 * 7.0))},
                lsq.gradientScales());
        assertEquals(QuantValue.Q4S, lsq.scheme().value());
    }

    private static List<QuantScheme> schemes(String... texts) {
        return Stream.of(texts).map(QuantScheme::parse).toList();
    }
}
