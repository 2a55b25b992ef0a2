package dev.quant4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantizableTensorTest {
    @Test
    void floatHolderSharesItsArrayAndKnowsItsShape() {
        float[] data = {1, 2, 3, 4, 5, 6};
        QuantizableTensor t = QuantizableTensor.of(data, 2, 3);
        assertFalse(t.isQuantized());
        assertNull(t.quantized());
        assertSame(data, t.get());
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertEquals(24, t.byteSize());
        assertArrayEquals(new int[] {6}, QuantizableTensor.of(data).shape());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> QuantizableTensor.of(data, 4, 2));
        assertTrue(e.getMessage().contains("holds 8 elements but the data has 6"), e.getMessage());
    }

    @Test
    void quantizedHolderDequantizesOnGetLikeTheKernelsAndCachesTheResult() {
        float[] data = {-1.8f, -1.0f, 0.0f, 0.5f};
        QuantizableTensor q = QuantizableTensor.of(data, 4).quantize("w", QuantScheme.parse("q8s"));
        assertTrue(q.isQuantized());
        assertNull(q.floats());
        // The check vector from the numeric contract.
        assertArrayEquals(new float[] {-1.8f, -1.0062993f, 0f, 0.496063f}, q.get(), 1e-6f);
        assertSame(q.get(), q.get(), "cached while memory allows");
        assertEquals(4 + 4, q.byteSize(), "one u32 word of codes and one f32 scale");
        assertSame(q, q.quantize("w", QuantScheme.parse("q4f")), "already quantized");
        QuantizableTensor back = q.dequantized();
        assertFalse(back.isQuantized());
        assertArrayEquals(q.get(), back.get());
    }

    @Test
    void anInvalidSchemeIsRejectedBeforeQuantizing() {
        QuantizableTensor t = QuantizableTensor.of(new float[] {1, 2}, 2);
        QuantScheme bad = QuantScheme.parse("q4f:native");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.quantize("w", bad));
        assertTrue(
                e.getMessage().contains("Native storage is not supported for sub-byte quantization values"),
                e.getMessage());
    }

    @Test
    void matvecMatchesAPlainProductOnBothForms() {
        SplittableRandom r = new SplittableRandom(42);
        for (int trial = 0; trial < 20; trial++) {
            int rows = 1 + r.nextInt(9);
            int cols = 1 + r.nextInt(70);
            float[] w = new float[rows * cols];
            float[] x = new float[cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < cols; i++) {
                x[i] = (float) r.nextGaussian();
            }
            QuantizableTensor f = QuantizableTensor.of(w, rows, cols);
            QuantizedTensor qt =
                    Kernels.scalar().quantize("w", FloatTensor.of(w, rows, cols), QuantScheme.parse("q4f:block16:f16"));
            QuantizableTensor q = QuantizableTensor.of(qt);
            float[] dq = qt.dequantize().data();
            float[] outF = new float[rows];
            float[] outQ = new float[rows];
            f.matvec(x, outF);
            q.matvec(x, outQ);
            // The fused kernels sum in another order than a plain loop: compare with the exact product
            // within the worst-case float32 summation error (n u / (1 - n u) of the sum of |terms|,
            // counting the 4-bit kernel's 24 * s * |x| offset terms; see kernels.ProductsTest).
            double n = cols + 64;
            double gamma = n * 0x1p-24 / (1 - n * 0x1p-24);
            for (int row = 0; row < rows; row++) {
                double exactF = 0;
                double exactQ = 0;
                double magF = 0;
                double magQ = 0;
                for (int c = 0; c < cols; c++) {
                    exactF += (double) w[row * cols + c] * x[c];
                    exactQ += (double) dq[row * cols + c] * x[c];
                    magF += Math.abs((double) w[row * cols + c] * x[c]);
                    magQ += (Math.abs(dq[row * cols + c]) + 24.0 * qt.scales()[row * ((cols + 15) / 16) + c / 16])
                            * Math.abs(x[c]);
                }
                String where = "seed 42 trial " + trial + " row " + row;
                assertEquals(exactF, outF[row], gamma * magF + 1e-30, where);
                assertEquals(exactQ, outQ[row], gamma * magQ + 1e-30, where);
            }
        }
    }

    @Test
    void matvecNamesWhatDoesNotFit() {
        QuantizableTensor t = QuantizableTensor.of(new float[6], 2, 3);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> t.matvec(new float[2], new float[2]));
        assertEquals("matvec of a [2, 3] weight needs x of length 3 and out of length 2, got 2 and 2", e.getMessage());
        IllegalArgumentException rank = assertThrows(
                IllegalArgumentException.class,
                () -> QuantizableTensor.of(new float[6]).matvec(new float[6], new float[1]));
        assertTrue(rank.getMessage().contains("rank-2"), rank.getMessage());
    }
}
