package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.Int8Activations;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LinearTest {

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** A random layer: {@code out x in} weights, a bias and {@code n} tokens of input, drawn in that order. */
    private record Layer(int out, int in, int n, float[] w, float[] bias, float[] x) {
        static Layer random(long seed, int out, int in, int n) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] w = gaussian(random, out * in);
            float[] bias = gaussian(random, out);
            return new Layer(out, in, n, w, bias, gaussian(random, n * in));
        }

        /** These weights quantized with {@code scheme}. */
        QuantizedTensor quantized(String scheme) {
            return Quantizer.of(scheme).quantize("w", FloatTensor.of(w, out, in));
        }

        /** The reference integer product of {@code q} and the activations {@code a}, plus the bias per output. */
        float[] integerProductPlusBias(QuantizedTensor q, Int8Activations a) {
            float[] y = new float[n * out];
            Gemm.scalar().matmulInt8(q, a, y, Parallelism.single());
            for (int i = 0; i < y.length; i++) {
                y[i] += bias[i % out];
            }
            return y;
        }
    }

    @Test
    void matchesADoublePrecisionProductWithinFloatRounding() {
        long seed = 7;
        SplittableRandom random = new SplittableRandom(seed);
        // Lengths around the vector width, so the scalar tail and the four-token groups are all exercised.
        for (int in : new int[] {1, 3, 15, 16, 17, 33, 64, 100, 384}) {
            for (int n : new int[] {1, 3, 4, 5, 9}) {
                int out = 1 + random.nextInt(20);
                float[] w = gaussian(random, out * in);
                float[] bias = gaussian(random, out);
                float[] x = gaussian(random, n * in);
                float[] y = Linear.apply("w", w, out, in, bias, x, n);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < out; r++) {
                        double exact = bias[r];
                        double magnitude = Math.abs(bias[r]);
                        for (int i = 0; i < in; i++) {
                            exact += (double) w[r * in + i] * x[t * in + i];
                            magnitude += Math.abs((double) w[r * in + i] * x[t * in + i]);
                        }
                        // Any summation order is within (in + 1) * eps * sum |terms| of the exact value.
                        double bound = (in + 2) * Math.ulp(1f) * magnitude;
                        assertEquals(
                                exact,
                                y[t * out + r],
                                bound,
                                "seed " + seed + " in " + in + " n " + n + " token " + t + " row " + r);
                    }
                }
            }
        }
    }

    @Test
    void aTokensResultDoesNotDependOnTheOtherTokens() {
        SplittableRandom random = new SplittableRandom(11);
        int in = 100;
        int out = 7;
        float[] w = gaussian(random, out * in);
        float[] x = gaussian(random, 9 * in);
        float[] all = Linear.apply("w", w, out, in, null, x, 9);
        for (int t = 0; t < 9; t++) {
            float[] alone = Linear.apply("w", w, out, in, null, Arrays.copyOfRange(x, t * in, (t + 1) * in), 1);
            assertArrayEquals(alone, Arrays.copyOfRange(all, t * out, (t + 1) * out), "token " + t);
        }
    }

    @Test
    void quantizedHolderGivesExactlyWhatItsDequantizedArrayGives() {
        Layer l = Layer.random(3, 24, 96, 6);
        for (String scheme : List.of(
                "q8s:tensor",
                "q8f:block32:f16",
                "q4f:block32:f16",
                "q4s:block16",
                "q2s:block8:bf16",
                "e4m3:tensor",
                "e5m2:block32",
                "e2m1:block32:ue8m0",
                "q4f:block2x16")) {
            QuantizedTensor q = l.quantized(scheme);
            float[] viaHolder = Linear.apply("w", QuantizableTensor.of(q), l.bias(), l.x(), 6);
            float[] viaArray = Linear.apply("w", q.dequantize().data(), l.out(), l.in(), l.bias(), l.x(), 6);
            assertArrayEquals(viaArray, viaHolder, scheme);
        }
        float[] viaFloatHolder = Linear.apply("w", QuantizableTensor.of(l.w(), l.out(), l.in()), l.bias(), l.x(), 6);
        assertArrayEquals(Linear.apply("w", l.w(), l.out(), l.in(), l.bias(), l.x(), 6), viaFloatHolder);
    }

    @Test
    void dynamicActivationsRunTheIntegerProductPer32ColumnsThenTheBias() {
        Layer l = Layer.random(5, 20, 96, 7);
        float[] bias = l.bias();
        float[] x = l.x();
        int n = l.n();
        for (String scheme : List.of("q8s:block32", "q4f:block32:f16", "q8f:tensor")) {
            QuantizedTensor q = l.quantized(scheme);
            float[] got = Linear.apply("w", QuantizableTensor.of(q), bias, x, n, ActivationMode.DYNAMIC, null);
            float[] want = l.integerProductPlusBias(q, Gemm.scalar().quantizeActivations(x, n, l.in(), 32));
            assertArrayEquals(want, got, scheme);
            QuantizedTensor declared = l.quantized(scheme + ":a8dyn");
            assertArrayEquals(
                    want,
                    Linear.apply("w", QuantizableTensor.of(declared), bias, x, n),
                    scheme + ":a8dyn: the weight's scheme declares the dynamic activations");
            float[] none = Linear.apply("w", QuantizableTensor.of(q), bias, x, n, ActivationMode.NONE, null);
            assertTrue(!Arrays.equals(none, got), scheme + ": dynamic must differ from float32 activations");
        }
        QuantizableTensor fp8 = QuantizableTensor.of(l.quantized("e4m3:tensor"));
        IllegalStateException floats = assertThrows(
                IllegalStateException.class,
                () -> Linear.apply("layers[2].keyWeight", fp8, bias, x, n, ActivationMode.DYNAMIC, null));
        assertTrue(
                floats.getMessage().contains("layers[2].keyWeight")
                        && floats.getMessage().contains("float codes"),
                floats.getMessage());
        QuantizableTensor q8 = QuantizableTensor.of(l.quantized("q8s:block32"));
        IllegalStateException statik = assertThrows(
                IllegalStateException.class,
                () -> Linear.apply("layers[5].outputWeight", q8, bias, x, n, ActivationMode.STATIC, null));
        assertTrue(
                statik.getMessage().contains("weight 'layers[5].outputWeight' is declared with static activations"),
                statik.getMessage());
    }

    @Test
    void staticActivationsRunTheIntegerProductWithTheFrozenScaleThenTheBias() {
        Layer l = Layer.random(6, 12, 64, 5);
        QuantizedTensor q = l.quantized("q8s:block32:a8static:minmax");
        ActivationScales scales = new ActivationScales(java.util.Map.of("layers[0].queryWeight", 0.02f));
        float[] got =
                Linear.apply("layers[0].queryWeight", QuantizableTensor.of(q), l.bias(), l.x(), l.n(), null, scales);
        float[] want =
                l.integerProductPlusBias(q, Gemm.scalar().quantizeActivationsStatic(l.x(), l.n(), l.in(), 0.02f));
        assertArrayEquals(want, got);
    }

    @Test
    void gatherDequantizesOnlyTheRowsAskedFor() {
        SplittableRandom random = new SplittableRandom(5);
        float[] table = gaussian(random, 50 * 32);
        QuantizedTensor q = Quantizer.of("q4f:block32:f16").quantize("table", FloatTensor.of(table, 50, 32));
        float[] all = q.dequantize().data();
        int[] ids = {49, 0, 7, 7};
        float[] rows = Linear.gather(q, ids);
        for (int t = 0; t < ids.length; t++) {
            assertArrayEquals(
                    Arrays.copyOfRange(all, ids[t] * 32, ids[t] * 32 + 32),
                    Arrays.copyOfRange(rows, t * 32, t * 32 + 32),
                    "id " + ids[t]);
        }
    }

    @Test
    void shapeMistakesNameTheWeight() {
        float[] x = new float[8];
        IllegalStateException wrongSize = assertThrows(
                IllegalStateException.class,
                () -> Linear.apply("layers[0].queryWeight", new float[15], 4, 4, null, x, 2));
        assertTrue(wrongSize.getMessage().contains("layers[0].queryWeight"), wrongSize.getMessage());
        IllegalStateException missing = assertThrows(
                IllegalStateException.class, () -> Linear.apply("outputWeight", (float[]) null, 4, 4, null, x, 2));
        assertTrue(missing.getMessage().contains("outputWeight"), missing.getMessage());
        IllegalArgumentException input = assertThrows(
                IllegalArgumentException.class,
                () -> Linear.apply("keyWeight", new float[16], 4, 4, null, new float[7], 2));
        assertTrue(input.getMessage().contains("keyWeight"), input.getMessage());
    }

    /**
     * llama.cpp's products: the integer path for our Q8_0 / Q4_0 twins and the float path on the
     * dequantized activations give the same sums up to float rounding, and both are the weights times
     * activations that went through ggml's Q8_0 (or, for K-quants, Q8_K) rule.
     */
    @Test
    void ggmlActivationsMultiplyTheActivationsGgmlWouldQuantize() {
        SplittableRandom random = new SplittableRandom(11);
        int out = 7;
        int in = 512;
        int n = 3;
        float[] w = gaussian(random, out * in);
        float[] x = gaussian(random, n * in);
        float[] bias = gaussian(random, out);
        for (dev.quant4j.io.gguf.GgmlType type : List.of(
                dev.quant4j.io.gguf.GgmlType.Q8_0,
                dev.quant4j.io.gguf.GgmlType.Q4_0,
                dev.quant4j.io.gguf.GgmlType.Q4_K)) {
            boolean k = type == dev.quant4j.io.gguf.GgmlType.Q4_K;
            int block = k ? 256 : 32;
            byte[] codes = new byte[x.length];
            float[] scales = new float[x.length / block];
            if (k) {
                dev.quant4j.io.gguf.GgmlQuants.q8_KActivations(x, 0, x.length, codes, scales, 0);
            } else {
                dev.quant4j.io.gguf.GgmlQuants.q8_0Activations(x, 0, x.length, codes, scales, 0);
            }
            float[] xq = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                xq[i] = codes[i] * scales[i / block];
            }
            QuantizableTensor weight = k
                    ? QuantizableTensor.of(w, out, in)
                    : QuantizableTensor.of(Quantizer.of(
                                    type == dev.quant4j.io.gguf.GgmlType.Q8_0 ? "q8s:block32:f16" : "q4f:block32:f16")
                            .quantize("w", FloatTensor.of(w, out, in)));
            float[] expected = Linear.apply("w", weight, bias, xq, n, ActivationMode.NONE, null);
            float[] got = Linear.applyGgml("w", weight, bias, x, n, type);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-4f * (1 + Math.abs(expected[i])), type + " output " + i);
            }
            float[] unquantized = Linear.apply("w", weight, bias, x, n, ActivationMode.NONE, null);
            assertTrue(!Arrays.equals(unquantized, got), type + ": the activations were quantized");
        }
        assertThrows(
                IllegalStateException.class,
                () -> Linear.applyGgml(
                        "w",
                        QuantizableTensor.of(w, 8, 448),
                        null,
                        new float[448],
                        1,
                        dev.quant4j.io.gguf.GgmlType.Q6_K));
    }
}
