package dev.quant4j.examples.minilm;

import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearTest {

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
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
                        assertEquals(exact, y[t * out + r], bound, "seed " + seed + " in " + in + " n " + n
                                + " token " + t + " row " + r);
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
        SplittableRandom random = new SplittableRandom(3);
        int out = 24;
        int in = 96;
        float[] w = gaussian(random, out * in);
        float[] bias = gaussian(random, out);
        float[] x = gaussian(random, 6 * in);
        for (String scheme : List.of("q8s:tensor", "q8f:block32:f16", "q4f:block32:f16", "q4s:block16",
                "q2s:block8:bf16", "e4m3:tensor", "e5m2:block32", "e2m1:block32:ue8m0", "q4f:block2x16")) {
            QuantizedTensor q = Quantizer.of(scheme).quantize("w", FloatTensor.of(w, out, in));
            float[] viaHolder = Linear.apply("w", QuantizableTensor.of(q), bias, x, 6);
            float[] viaArray = Linear.apply("w", q.dequantize().data(), out, in, bias, x, 6);
            assertArrayEquals(viaArray, viaHolder, scheme);
        }
        float[] viaFloatHolder = Linear.apply("w", QuantizableTensor.of(w, out, in), bias, x, 6);
        assertArrayEquals(Linear.apply("w", w, out, in, bias, x, 6), viaFloatHolder);
    }

    @Test
    void dynamicActivationsRunTheIntegerProductPer32ColumnsThenTheBias() {
        SplittableRandom random = new SplittableRandom(5);
        int out = 20;
        int in = 96;
        int n = 7;
        float[] w = gaussian(random, out * in);
        float[] bias = gaussian(random, out);
        float[] x = gaussian(random, n * in);
        for (String scheme : List.of("q8s:block32", "q4f:block32:f16", "q8f:tensor")) {
            QuantizedTensor q = Quantizer.of(scheme).quantize("w", FloatTensor.of(w, out, in));
            float[] got = Linear.apply("w", QuantizableTensor.of(q), bias, x, n, ActivationMode.DYNAMIC);
            float[] want = new float[n * out];
            Gemm.scalar().matmulInt8(q, Gemm.scalar().quantizeActivations(x, n, in, 32), want, Parallelism.single());
            for (int i = 0; i < want.length; i++) {
                want[i] += bias[i % out];
            }
            assertArrayEquals(want, got, scheme);
            QuantizedTensor declared = Quantizer.of(scheme + ":a8dyn").quantize("w", FloatTensor.of(w, out, in));
            assertArrayEquals(want, Linear.apply("w", QuantizableTensor.of(declared), bias, x, n),
                    scheme + ":a8dyn: the weight's scheme declares the dynamic activations");
            float[] none = Linear.apply("w", QuantizableTensor.of(q), bias, x, n, ActivationMode.NONE);
            assertTrue(!Arrays.equals(none, got), scheme + ": dynamic must differ from float32 activations");
        }
        QuantizableTensor fp8 = QuantizableTensor.of(Quantizer.of("e4m3:tensor").quantize("w", FloatTensor.of(w, out, in)));
        IllegalStateException floats = assertThrows(IllegalStateException.class,
                () -> Linear.apply("layers[2].keyWeight", fp8, bias, x, n, ActivationMode.DYNAMIC));
        assertTrue(floats.getMessage().contains("layers[2].keyWeight") && floats.getMessage().contains("float codes"),
                floats.getMessage());
        QuantizableTensor q8 = QuantizableTensor.of(Quantizer.of("q8s:block32").quantize("w", FloatTensor.of(w, out, in)));
        UnsupportedOperationException statik = assertThrows(UnsupportedOperationException.class,
                () -> Linear.apply("outputWeight", q8, bias, x, n, ActivationMode.STATIC));
        assertTrue(statik.getMessage().contains("outputWeight"), statik.getMessage());
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
            assertArrayEquals(Arrays.copyOfRange(all, ids[t] * 32, ids[t] * 32 + 32),
                    Arrays.copyOfRange(rows, t * 32, t * 32 + 32), "id " + ids[t]);
        }
    }

    @Test
    void shapeMistakesNameTheWeight() {
        float[] x = new float[8];
        IllegalStateException wrongSize = assertThrows(IllegalStateException.class,
                () -> Linear.apply("layers[0].queryWeight", new float[15], 4, 4, null, x, 2));
        assertTrue(wrongSize.getMessage().contains("layers[0].queryWeight"), wrongSize.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> Linear.apply("outputWeight", (float[]) null, 4, 4, null, x, 2));
        assertTrue(missing.getMessage().contains("outputWeight"), missing.getMessage());
        IllegalArgumentException input = assertThrows(IllegalArgumentException.class,
                () -> Linear.apply("keyWeight", new float[16], 4, 4, null, new float[7], 2));
        assertTrue(input.getMessage().contains("keyWeight"), input.getMessage());
    }
}
