package dev.quant4j.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputStatisticsTest {
    @Test
    void meanSquaresPerInputOverEveryRow() {
        InputStatistics s = new InputStatistics();
        // Two rows of three inputs, then one more row: means of x^2 per column over three rows.
        s.add("layer.w", new float[] {1, -2, 3, 3, 0, -1}, 2, 3);
        s.add("layer.w", new float[] {-1, 2, 0, 99}, 1, 3);
        assertArrayEquals(new float[] {11f / 3, 8f / 3, 10f / 3}, s.meanSquares("layer.w"), 1e-6f);
        assertEquals(3, s.rows("layer.w"));
        assertNull(s.meanSquares("other"));
        var e = assertThrows(IllegalArgumentException.class, () -> s.add("layer.w", new float[4], 1, 4));
        assertTrue(
                e.getMessage().contains("inputs of 'layer.w' have 4 values per row, earlier rows had 3"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.add("x", new float[5], 2, 3));
    }

    @Test
    void secondMomentsAreTheMeanOfXXTransposedAndSurviveMergeAndFile(@TempDir Path dir) throws IOException {
        InputStatistics a = InputStatistics.withSecondMoments();
        a.add("w", new float[] {1, 2, 3, -1}, 2, 2);
        InputStatistics b = InputStatistics.withSecondMoments();
        b.add("w", new float[] {0, 4}, 1, 2);
        a.merge(b);
        // Rows (1, 2), (3, -1), (0, 4): E[x0 x0] = 10/3, E[x0 x1] = -1/3, E[x1 x1] = 21/3.
        double[] m = a.secondMoments("w");
        assertArrayEquals(new double[] {10.0 / 3, -1.0 / 3, -1.0 / 3, 7}, m, 1e-12);
        assertArrayEquals(new float[] {10f / 3, 7f}, a.meanSquares("w"), 1e-6f);
        assertNull(new InputStatistics().secondMoments("w"));
        Path file = dir.resolve("s.safetensors");
        a.save(file);
        double[] back = InputStatistics.load(file).secondMoments("w");
        assertArrayEquals(m, back, 1e-6);
        assertEquals(java.util.Set.of("w"), InputStatistics.load(file).paths());
    }

    @Test
    void mergingAddsSumsLikeOneRecording() {
        InputStatistics a = new InputStatistics();
        InputStatistics b = new InputStatistics();
        InputStatistics both = new InputStatistics();
        float[] r1 = {1, 2, 3, 4};
        float[] r2 = {0.5f, -1, 7, 0};
        a.add("w", r1, 2, 2);
        b.add("w", r2, 2, 2);
        both.add("w", r1, 2, 2);
        both.add("w", r2, 2, 2);
        a.merge(b);
        assertArrayEquals(both.meanSquares("w"), a.meanSquares("w"));
        assertEquals(4, a.rows("w"));
    }

    @Test
    void savesAndLoadsAndRejectsOtherFiles(@TempDir Path dir) throws IOException {
        InputStatistics s = new InputStatistics();
        s.add("layers[0].queryWeight", new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        s.add("layers[1].outputWeight", new float[] {0.25f, 0}, 1, 2);
        Path file = dir.resolve("stats.safetensors");
        s.save(file);
        InputStatistics back = InputStatistics.load(file);
        assertEquals(s.paths(), back.paths());
        for (String p : s.paths()) {
            assertArrayEquals(s.meanSquares(p), back.meanSquares(p));
            assertEquals(s.rows(p), back.rows(p));
        }
        Path plain = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(
                plain, Map.of(), List.of(TensorSpec.floats("w", FloatTensor.of(new float[2], 2), Dtype.F32)));
        var e = assertThrows(SafetensorsFormatException.class, () -> InputStatistics.load(plain));
        assertTrue(e.getMessage().contains("not an input statistics file"), e.getMessage());
        Path negative = dir.resolve("negative.safetensors");
        SafetensorsWriter.write(
                negative,
                Map.of(InputStatistics.KIND_KEY, InputStatistics.KIND, "rows.w", "3"),
                List.of(TensorSpec.floats("w", FloatTensor.of(new float[] {1, -1}, 2), Dtype.F32)));
        var n = assertThrows(SafetensorsFormatException.class, () -> InputStatistics.load(negative));
        assertTrue(n.getMessage().contains("mean square 1 of 'w' is -1.0; it must be finite and >= 0"), n.getMessage());
    }

    /**
     * The blocked products (four rows per pass, scalar and SIMD) give the same bits as adding one row at a
     * time, {@code p[i][k] += x_ri * x_rk} in row order, for row counts that leave a remainder and widths
     * that leave a vector tail.
     */
    @Test
    void blockedSecondMomentsEqualRowByRowAccumulationBitForBit() {
        java.util.Random rnd = new java.util.Random(15);
        for (int cols : new int[] {1, 7, 16, 37, 64}) {
            for (int n : new int[] {1, 3, 4, 9, 17}) {
                float[] x = new float[n * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * Math.exp(3 * rnd.nextGaussian()));
                }
                double[] direct = new double[cols * cols];
                for (int pass = 0; pass < 2; pass++) { // twice, so the sums are not all single products
                    for (int r = 0; r < n; r++) {
                        for (int i = 0; i < cols; i++) {
                            for (int k = i; k < cols; k++) {
                                direct[i * cols + k] += (double) x[r * cols + i] * x[r * cols + k];
                            }
                        }
                    }
                }
                double[] blocked = new double[cols * cols];
                double[] scalar = new double[cols * cols];
                double[] d = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    d[i] = x[i];
                }
                for (int pass = 0; pass < 2; pass++) {
                    InputStatistics.addProducts(blocked, x, n, cols);
                    InputStatistics.addScalar(scalar, d, n, cols);
                }
                String at = cols + " cols, " + n + " rows, " + InputStatistics.productsKernelName();
                assertArrayEquals(direct, scalar, 0.0, at);
                assertArrayEquals(direct, blocked, 0.0, at);
            }
        }
    }

    @Test
    void givenMeanSquaresComeBackExactlyAsOneRowAndMergeAsOne(@TempDir Path dir) throws IOException {
        InputStatistics given = InputStatistics.ofMeanSquares(Map.of("w", new float[] {0.25f, 3f, 0f}));
        assertArrayEquals(new float[] {0.25f, 3f, 0f}, given.meanSquares("w"));
        assertEquals(1, given.rows("w"));
        assertNull(given.secondMoments("w"));
        // Merged with a recording of two rows, it weighs as one more row.
        InputStatistics recorded = new InputStatistics();
        recorded.add("w", new float[] {1, 1, 2, 1, 1, 2}, 2, 3);
        recorded.merge(given);
        assertArrayEquals(new float[] {2.25f / 3, 5f / 3, 8f / 3}, recorded.meanSquares("w"), 1e-6f);
        Path file = dir.resolve("given.safetensors");
        given.save(file);
        assertArrayEquals(
                new float[] {0.25f, 3f, 0f}, InputStatistics.load(file).meanSquares("w"));
    }

    @Test
    void givenSecondMomentsKeepTheMatrixAndTheirDiagonalIsTheMeanSquares() {
        double[] m = {4, 1, -2, 1, 9, 0.5, -2, 0.5, 1};
        InputStatistics given = InputStatistics.ofMoments(Map.of("t", new float[] {2f}), Map.of("w", m));
        assertArrayEquals(m, given.secondMoments("w"));
        assertArrayEquals(new float[] {4, 9, 1}, given.meanSquares("w"));
        assertArrayEquals(new float[] {2f}, given.meanSquares("t"));
        assertNull(given.secondMoments("t"));
    }

    @Test
    void givenStatisticsThatCannotBeMeanSquaresAreRefusedNamingThePathAndIndex() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> InputStatistics.ofMeanSquares(Map.of("w", new float[] {1f, -0.5f})));
        assertTrue(e.getMessage().contains("mean square 1 of 'w' is -0.5"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> InputStatistics.ofMeanSquares(Map.of("w", new float[] {Float.NaN})));
        assertThrows(IllegalArgumentException.class, () -> InputStatistics.ofMeanSquares(Map.of("w", new float[0])));
        e = assertThrows(
                IllegalArgumentException.class,
                () -> InputStatistics.ofMoments(Map.of(), Map.of("w", new double[] {1, 2, 3})));
        assertTrue(e.getMessage().contains("second moments of 'w' hold 3 values"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> InputStatistics.ofMoments(Map.of(), Map.of("w", new double[] {1, 0, 0, -1})));
        assertTrue(e.getMessage().contains("second moment (1, 1) of 'w' is -1.0"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> InputStatistics.ofMoments(Map.of("w", new float[] {1f}), Map.of("w", new double[] {1})));
        assertTrue(e.getMessage().contains("'w' has mean squares and second moments"), e.getMessage());
    }
}
