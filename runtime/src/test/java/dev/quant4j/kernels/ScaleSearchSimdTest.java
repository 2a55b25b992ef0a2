package dev.quant4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.tensor.Shapes;
import dev.quant4j.testing.TestFloats;
import dev.quant4j.testkit.SeededCases;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The scale searches (MSE, IMATRIX) through the SIMD kernels against the scalar reference, bit for bit
 * (scales and codes), at this JVM's vector width; and the kernels' reading paths on the negative scales a
 * search may choose. Surefire runs this class at 512 (the default here), 256 and 128 bits and with the
 * scalar kernels forced (then the active kernels must be the reference).
 */
class ScaleSearchSimdTest {
    private static final QuantKernels SIMD = PanamaKernels.INSTANCE;
    private static final QuantKernels REF = Kernels.scalar();
    private static final QuantValue[] INTEGERS = {
        QuantValue.Q8F, QuantValue.Q8S, QuantValue.Q4F, QuantValue.Q4S, QuantValue.Q2F, QuantValue.Q2S
    };

    @Test
    void searchRunsItsSimdErrorKernelAtTheRequestedWidth() {
        assertEquals("panama-" + PanamaKernels.vectorBits(), ScaleSearch.errorKernelName(SIMD));
        assertEquals("scalar", ScaleSearch.errorKernelName(REF));
        if ("scalar".equals(System.getProperty(Kernels.KERNELS_PROPERTY))) {
            assertEquals("scalar", ScaleSearch.errorKernelName(Kernels.active()));
        }
        System.out.println("ScaleSearchSimdTest at " + ScaleSearch.errorKernelName(SIMD));
    }

    @Test
    void searchedScalesAndCodesAreTheReferencesBitForBit() {
        SeededCases cases = new SeededCases(0x5EED_5EA7L);
        int[] negative = {0};
        for (int round = 0; round < 60; round++) {
            for (QuantValue value : INTEGERS) {
                for (Calibration calibration : new Calibration[] {Calibration.MSE, Calibration.IMATRIX}) {
                    cases.next((seed, r) -> {
                        int[] shape = RandomCases.shape(r, 3000);
                        QuantScheme scheme = RandomCases.scheme(r, value, shape).withCalibration(calibration);
                        int n = (int) Shapes.elementCount(shape);
                        float[] x = r.nextInt(3) == 0 ? RandomCases.values(r, n, value) : gaussian(r, n);
                        float[] imp = calibration == Calibration.IMATRIX ? importance(r, shape) : null;
                        String what = RandomCases.describe(seed, shape, scheme);
                        FloatTensor t = FloatTensor.of(x, shape);
                        QuantizedTensor ref = ScaleSearch.quantize(REF, "t", t, scheme, imp);
                        QuantizedTensor simd = ScaleSearch.quantize(SIMD, "t", t, scheme, imp);
                        assertSameScales(ref.scales(), simd.scales(), what);
                        assertArrayEquals(ref.codes(), simd.codes(), what);
                        assertSameScales(ScaleSearch.scales("t", t, scheme, imp), ref.scales(), what);
                        if (calibration == Calibration.MSE) {
                            QuantizedTensor active = new dev.quant4j.quantize.Quantizer(scheme).quantize("t", t);
                            assertSameScales(ref.scales(), active.scales(), what);
                            assertArrayEquals(ref.codes(), active.codes(), what);
                        }
                        for (float s : ref.scales()) {
                            negative[0] += s < 0 ? 1 : 0;
                        }
                    });
                }
            }
        }
        assertTrue(negative[0] > 0, "some searched scales are negative, so the sign choice is exercised");
        System.out.println(cases.count() + " searched tensors identical at " + SIMD.name() + " (" + negative[0]
                + " negative scales)");
    }

    @Test
    void negativeScalesDequantizeAndMultiplyLikeTheReference() {
        SplittableRandom r = new SplittableRandom(0x5EED_5EA8L);
        for (QuantValue value : new QuantValue[] {QuantValue.Q8F, QuantValue.Q4F, QuantValue.Q2F}) {
            int rows = 37;
            int cols = 96;
            float[] w = gaussian(r, rows * cols);
            QuantScheme scheme = QuantScheme.parse(value.token() + ":block32:f16:mse");
            QuantizedTensor q = ScaleSearch.quantize(REF, "w", FloatTensor.of(w, rows, cols), scheme, null);
            assertTrue(anyNegative(q.scales()), value + " has negative scales");
            float[] ref = new float[rows * cols];
            float[] simd = new float[rows * cols];
            REF.dequantize(q, ref);
            SIMD.dequantize(q, simd);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(simd[i]), "element " + i);
            }
            float[] x = gaussian(r, cols);
            double[] exact = new double[rows];
            double[] magnitude = new double[rows];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    exact[i] += (double) ref[i * cols + j] * x[j];
                    magnitude[i] += Math.abs((double) ref[i * cols + j] * x[j]);
                }
            }
            for (QuantKernels k : new QuantKernels[] {REF, SIMD}) {
                float[] out = new float[rows];
                k.matvec(q, x, out, Parallelism.single());
                float[] outBatch = new float[rows];
                k.matmul(q, x, 1, outBatch, Parallelism.single());
                for (int i = 0; i < rows; i++) {
                    double bound = 1e-5 * magnitude[i] + 1e-30;
                    assertEquals(exact[i], out[i], bound, k.name() + " matvec row " + i);
                    assertEquals(exact[i], outBatch[i], bound, k.name() + " matmul row " + i);
                }
                float[] int8 = new float[rows];
                k.matvecInt8(q, x, int8, Parallelism.single());
                for (int i = 0; i < rows; i++) {
                    // The activations are quantized to 8 bits: a loose bound, but the sign must be right.
                    assertEquals(exact[i], int8[i], 0.02 * magnitude[i] + 1e-6, k.name() + " int8 row " + i);
                }
            }
        }
    }

    private static boolean anyNegative(float[] s) {
        for (float v : s) {
            if (v < 0) {
                return true;
            }
        }
        return false;
    }

    static float[] gaussian(SplittableRandom r, int n) {
        double scale = Math.scalb(1.0, r.nextInt(-12, 6));
        return TestFloats.of(n, () -> r.nextGaussian() * scale * (r.nextInt(50) == 0 ? 6 : 1));
    }

    private static float[] importance(SplittableRandom r, int[] shape) {
        float[] imp = new float[shape.length == 0 ? 1 : shape[shape.length - 1]];
        for (int j = 0; j < imp.length; j++) {
            imp[j] = r.nextInt(10) == 0 ? 0f : (float) Math.exp(r.nextGaussian() * 2);
        }
        return imp;
    }

    private static void assertSameScales(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": scale " + i + " is " + actual[i] + ", the reference's "
                        + expected[i] + " (all: " + Arrays.toString(Arrays.copyOf(actual, Math.min(8, actual.length)))
                        + "...)");
            }
        }
    }
}
