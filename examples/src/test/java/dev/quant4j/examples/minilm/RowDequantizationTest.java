package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.kernels.QuantKernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Row-wise dequantization ({@link QuantKernels#dequantizeRows}, what {@link Linear} uses for holder
 * weights) must give exactly what the runtime's dequantize gives: the agent hands out the runtime's
 * values and the holder model computes with these, and the demo shows both agree bit for bit.
 */
class RowDequantizationTest {
    private static final QuantKernels KERNELS = Kernels.active();

    private static final List<String> PARAMS = List.of("f32", "f16", "bf16", "ue8m0");

    @Test
    void everyRowEqualsTheRuntimesDequantizationBitForBit() {
        long seed = 20260501L;
        SplittableRandom random = new SplittableRandom(seed);
        int checked = 0;
        for (int c = 0; c < 600; c++) {
            QuantValue value = QuantValue.values()[random.nextInt(QuantValue.values().length)];
            int[] shape = random.nextInt(4) == 0
                    ? new int[] {1 + random.nextInt(4), 1 + random.nextInt(5), 1 + random.nextInt(70)}
                    : new int[] {1 + random.nextInt(9), 1 + random.nextInt(100)};
            String level = switch (random.nextInt(4)) {
                case 0 -> "tensor";
                case 1 -> "block" + (1 + random.nextInt(40));
                case 2 -> "block" + (1 + random.nextInt(3)) + "x" + (1 + random.nextInt(20));
                default -> "block32";
            };
            String store = value.bits() == 8 && random.nextBoolean() ? "native" : "u32";
            String text = value.name().toLowerCase(Locale.ROOT) + ":" + level + ":"
                    + PARAMS.get(random.nextInt(PARAMS.size())) + ":" + store;
            QuantScheme scheme = QuantScheme.parse(text);
            if (!scheme.problemsFor(shape).isEmpty()) {
                continue;
            }
            float[] data = values(random, Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            QuantizedTensor q = new Quantizer(scheme).quantize("case" + c, FloatTensor.of(data, shape));
            float[] expected = q.dequantize().data();
            int rowCount = q.layout().rows();
            int len = shape[shape.length - 1];
            float[] row = new float[len + 3];
            for (int r = 0; r < rowCount; r++) {
                KERNELS.dequantizeRows(q, r, r + 1, row, 3);
                for (int i = 0; i < len; i++) {
                    int e = Float.floatToRawIntBits(expected[r * len + i]);
                    int a = Float.floatToRawIntBits(row[3 + i]);
                    if (e != a) {
                        throw new AssertionError("seed " + seed + ", case " + c + ": " + text + " "
                                + Arrays.toString(shape)
                                + " row " + r + " column " + i + ": expected " + expected[r * len + i] + ", got "
                                + row[3 + i]);
                    }
                }
            }
            checked++;
        }
        assertTrue(checked > 400, "only " + checked + " valid cases drawn");
    }

    @Test
    void rowOutsideTheTensorIsAnError() {
        QuantizedTensor q = Quantizer.of("q4f:block32").quantize("w", FloatTensor.of(new float[64], 2, 32));
        assertEquals(2, q.layout().rows());
        assertThrows(IndexOutOfBoundsException.class, () -> KERNELS.dequantizeRows(q, 2, 3, new float[32], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> KERNELS.dequantizeRows(q, -1, 0, new float[32], 0));
    }

    /** Mostly Gaussian, with zeros, exact ties, outliers and tiny values that stress the rounding. */
    private static float[] values(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (random.nextInt(10)) {
                case 0 -> 0f;
                case 1 -> (float) (random.nextInt(-8, 9) * 0.5);
                case 2 -> (float) (random.nextGaussian() * 1e3);
                case 3 -> (float) (random.nextGaussian() * 1e-6);
                default -> (float) random.nextGaussian();
            };
        }
        return v;
    }
}
