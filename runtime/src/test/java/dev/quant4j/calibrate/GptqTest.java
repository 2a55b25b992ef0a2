package dev.quant4j.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.errors.QuantizationException;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.rules.QuantRules;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** GPTQ against a direct implementation (a fresh inverse of H over the columns left, per column). */
class GptqTest {

    /** Correlated inputs: x = A z with a random mixing A, so H = E[x x^T] has off-diagonal mass. */
    static double[] secondMoments(SplittableRandom r, int n, int samples) {
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                a[i][k] = r.nextGaussian() * (i == k ? 2 : 0.5) * (i % 7 == 0 ? 4 : 1);
            }
        }
        double[] h = new double[n * n];
        double[] x = new double[n];
        for (int t = 0; t < samples; t++) {
            double[] z = new double[n];
            for (int i = 0; i < n; i++) {
                z[i] = r.nextGaussian();
            }
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += a[i][k] * z[k];
                }
                x[i] = s;
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < n; k++) {
                    h[i * n + k] += x[i] * x[k] / samples;
                }
            }
        }
        return h;
    }

    /** The textbook form: for column j, invert H over the columns j.. still to quantize, then update them. */
    static Gptq.Result direct(
            float[] x, int rows, int cols, int block, QuantValue value, QuantParam param, double[] h) {
        Integer[] order = new Integer[cols];
        for (int j = 0; j < cols; j++) {
            order[j] = j;
        }
        return directInOrder(x, rows, cols, block, value, param, h, order);
    }

    /** Gauss-Jordan with partial pivoting. */
    static double[][] invert(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) {
                if (Math.abs(m[i][c]) > Math.abs(m[p][c])) {
                    p = i;
                }
            }
            double[] t = m[c];
            m[c] = m[p];
            m[p] = t;
            double d = m[c][c];
            for (int k = 0; k < 2 * n; k++) {
                m[c][k] /= d;
            }
            for (int i = 0; i < n; i++) {
                if (i != c) {
                    double f = m[i][c];
                    for (int k = 0; k < 2 * n; k++) {
                        m[i][k] -= f * m[c][k];
                    }
                }
            }
        }
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], n, out[i], 0, n);
        }
        return out;
    }

    /** One of the two implementations: the values and scales for a case. */
    interface Implementation {
        Gptq.Result values(float[] x, int rows, int cols, int block, QuantValue value, QuantParam param, double[] h);
    }

    /** Gptq's own values before the encoding, damped by {@link Gptq#DAMP}, in index order or act-order. */
    static Implementation gptq(boolean actOrder) {
        return (x, rows, cols, block, value, param, h) -> Gptq.values(
                "t",
                x,
                rows,
                cols,
                QuantScheme.DEFAULT.withValue(value).withBlockSize(block).withParam(param),
                h,
                Gptq.DAMP,
                actOrder);
    }

    /** Twelve random small cases: {@code fast} agrees with {@code slow} (see the first test). */
    static void agreeOnSmallMatrices(long seed, Implementation fast, Implementation slow, boolean actOrder) {
        SplittableRandom r = new SplittableRandom(seed);
        int valuesDiffer = 0;
        int total = 0;
        for (int rep = 0; rep < 12; rep++) {
            int rows = 1 + r.nextInt(6);
            int cols = 4 + r.nextInt(29);
            int block = new int[] {4, 8, 16, 32}[r.nextInt(4)];
            QuantValue value =
                    new QuantValue[] {QuantValue.Q4F, QuantValue.Q4S, QuantValue.Q8F, QuantValue.Q2F}[rep % 4];
            QuantParam param = new QuantParam[] {QuantParam.F16, QuantParam.F32, QuantParam.BF16}[rep % 3];
            double[] h = secondMoments(r, cols, 200);
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 0.05);
            }
            if (actOrder) {
                int[] order = Gptq.actOrder(h, cols);
                boolean moved = false;
                for (int t = 0; t < cols; t++) {
                    moved |= order[t] != t;
                }
                assertTrue(moved, "rep " + rep + ": act-order kept the index order");
            }
            Gptq.Result f = fast.values(x, rows, cols, block, value, param, h);
            Gptq.Result s = slow.values(x, rows, cols, block, value, param, h);
            for (int i = 0; i < x.length; i++) {
                // The two factorisations round differently in the last bits of a double; the float32
                // values GPTQ rounds agree to a relative 1e-6 of the weights' scale.
                assertEquals(s.values()[i], f.values()[i], 1e-6 * 0.05, "rep " + rep + " element " + i);
                valuesDiffer += s.values()[i] != f.values()[i] ? 1 : 0;
                total++;
            }
            assertArrayEquals(s.scales(), f.scales(), "rep " + rep);
        }
        assertTrue(valuesDiffer < total / 20, valuesDiffer + " of " + total + " values differ in their last bits");
    }

    /**
     * A random [rows, cols] weight of N(0, 0.05^2) values and the second moments of {@code samples} random
     * inputs, drawn from one generator in that order.
     */
    private record Layer(int rows, int cols, double[] h, float[] x) {
        static Layer draw(long seed, int rows, int cols, int samples) {
            SplittableRandom r = new SplittableRandom(seed);
            double[] h = secondMoments(r, cols, samples);
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 0.05);
            }
            return new Layer(rows, cols, h, x);
        }

        FloatTensor w() {
            return FloatTensor.of(x, rows, cols);
        }
    }

    @Test
    void equalsTheDirectImplementationOnSmallMatrices() {
        agreeOnSmallMatrices(0x5EED_6970L, gptq(false), GptqTest::direct, false);
    }

    /**
     * Act-order the textbook way: the columns in order of decreasing {@code H_jj}, each quantized with a fresh
     * inverse of the damped H over the columns still to go (in that order), its error passed on to them; a
     * block's scale chosen, from its values as updated by then, when the first of its columns comes up.
     */
    static Gptq.Result directActOrder(
            float[] x, int rows, int cols, int block, QuantValue value, QuantParam param, double[] h) {
        int[] order = Gptq.actOrder(h, cols);
        Integer[] boxed = new Integer[cols];
        boolean[] seen = new boolean[cols];
        for (int t = 0; t < cols; t++) {
            int j = order[t];
            assertTrue(!seen[j], "act-order is a permutation");
            seen[j] = true;
            if (t > 0) {
                int prev = order[t - 1];
                double a = h[prev * cols + prev];
                double c = h[j * cols + j];
                assertTrue(a > c || (a == c && prev < j), "decreasing H_jj, ties by index, at position " + t);
            }
            boxed[t] = j;
        }
        return directInOrder(x, rows, cols, block, value, param, h, boxed);
    }

    /**
     * Columns quantized in {@code order}, each with a fresh inverse of the damped H over the columns still to
     * go (in that order), its error passed on to them; a block's scale chosen, from its values as updated by
     * then, when the first of its columns comes up.
     */
    private static Gptq.Result directInOrder(
            float[] x, int rows, int cols, int block, QuantValue value, QuantParam param, double[] h, Integer[] order) {
        double[] hd = Gptq.dampedCopy(h, cols);
        double[][] w = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r][c] = x[r * cols + c];
            }
        }
        int perRow = (cols + block - 1) / block;
        float[] scales = new float[rows * perRow];
        boolean[] chosen = new boolean[perRow];
        float[] values = new float[rows * cols];
        for (int t = 0; t < cols; t++) {
            int j = order[t];
            int b = j / block;
            if (!chosen[b]) {
                chosen[b] = true;
                int first = b * block;
                int n = Math.min(block, cols - first);
                float[] wi = new float[n];
                for (int k = 0; k < n; k++) {
                    wi[k] = (float) h[(first + k) * cols + first + k];
                }
                for (int r = 0; r < rows; r++) {
                    float[] seg = new float[n];
                    float amax = 0;
                    for (int k = 0; k < n; k++) {
                        seg[k] = (float) w[r][first + k];
                        amax = Math.max(amax, Math.abs(seg[k]));
                    }
                    scales[r * perRow + b] = ScaleSearch.searchBlock(
                            seg,
                            wi,
                            0,
                            n,
                            amax,
                            QuantRules.storedScale(amax, value, param),
                            value,
                            param,
                            ScaleSearch::blockError,
                            new float[ScaleSearch.PARTIALS]);
                }
            }
            int m = cols - t;
            double[][] sub = new double[m][m];
            for (int i = 0; i < m; i++) {
                for (int k = 0; k < m; k++) {
                    sub[i][k] = hd[order[t + i] * cols + order[t + k]];
                }
            }
            double[][] inv = invert(sub);
            for (int r = 0; r < rows; r++) {
                float s = scales[r * perRow + b];
                float v = (float) w[r][j];
                values[r * cols + j] = v;
                double q = (double) QuantRules.encode(v, s, value) * s;
                double e = (w[r][j] - q) / inv[0][0];
                for (int k = 1; k < m; k++) {
                    w[r][order[t + k]] -= e * inv[0][k];
                }
            }
        }
        return new Gptq.Result(values, scales);
    }

    @Test
    void actOrderEqualsTheDirectImplementationOnSmallMatrices() {
        agreeOnSmallMatrices(0x5EED_6972L, gptq(true), GptqTest::directActOrder, true);
    }

    @Test
    void actOrderThroughTheTensorApiEncodesItsValuesByTheContractRuleAndKeepsTheOutputErrorLow() {
        encodesByTheContractRuleAndBeatsTheWeightedSearch(0x5EED_6973L, true, "GPTQ act-order");
    }

    @Test
    void dampingIsTheLargerOneWhereTheStatisticsHaveFewRowsPerInput() {
        assertEquals(Gptq.DAMP_FEW_ROWS, Gptq.damping(1_083, 1_536)); // the demo's 70 sentences, FFN output
        assertEquals(Gptq.DAMP_FEW_ROWS, Gptq.damping(1_083, 384));
        assertEquals(Gptq.DAMP_FEW_ROWS, Gptq.damping(1, 384)); // statistics given without rows
        assertEquals(Gptq.DAMP, Gptq.damping(12_842, 1_536)); // the 824 sentences
        assertEquals(Gptq.DAMP, Gptq.damping(4 * 384, 384));
        assertEquals(Gptq.DAMP_FEW_ROWS, Gptq.damping(4 * 384 - 1, 384));
        Layer layer = Layer.draw(0x5EED_6974L, 8, 32, 100);
        double[] h = layer.h();
        QuantScheme scheme = QuantScheme.parse("q4f:block32:f16:gptq");
        FloatTensor w = layer.w();
        QuantizedTensor strong = Gptq.quantize(Kernels.scalar(), "w", w, scheme, h, Gptq.DAMP_FEW_ROWS, false);
        QuantizedTensor usual = Gptq.quantize(Kernels.scalar(), "w", w, scheme, h);
        QuantizedTensor given = Gptq.quantize(Kernels.scalar(), "w", w, scheme, h, Gptq.DAMP, false);
        assertArrayEquals(usual.codes(), given.codes(), "the five-argument form damps by DAMP");
        assertTrue(
                !java.util.Arrays.equals(strong.codes(), usual.codes())
                        || !java.util.Arrays.equals(strong.scales(), usual.scales()),
                "the damping reaches the result");
        assertThrows(
                IllegalArgumentException.class, () -> Gptq.quantize(Kernels.scalar(), "w", w, scheme, h, 0, false));
    }

    @Test
    void theStatisticsFormDampsByTheRowsTheyWereRecordedOn() {
        Layer layer = Layer.draw(0x5EED_6975L, 8, 32, 100);
        QuantScheme scheme = QuantScheme.parse("q4f:block32:f16:gptq");
        // Given statistics count as one row: fewer than ROWS_PER_INPUT per input, so DAMP_FEW_ROWS.
        InputStatistics given = InputStatistics.ofMoments(java.util.Map.of(), java.util.Map.of("w", layer.h()));
        QuantizedTensor viaStatistics = Gptq.quantize(Kernels.scalar(), "w", layer.w(), scheme, given);
        QuantizedTensor direct = Gptq.quantize(
                Kernels.scalar(), "w", layer.w(), scheme, given.secondMoments("w"), Gptq.DAMP_FEW_ROWS, false);
        QuantizedTensor usual = Gptq.quantize(Kernels.scalar(), "w", layer.w(), scheme, layer.h());
        assertArrayEquals(direct.codes(), viaStatistics.codes());
        assertArrayEquals(direct.scales(), viaStatistics.scales());
        assertTrue(
                !java.util.Arrays.equals(usual.codes(), viaStatistics.codes())
                        || !java.util.Arrays.equals(usual.scales(), viaStatistics.scales()),
                "one row of statistics is damped by DAMP_FEW_ROWS, not DAMP");
        QuantizationException missing = assertThrows(
                QuantizationException.class, () -> Gptq.quantize(Kernels.scalar(), "v", layer.w(), scheme, given));
        assertTrue(missing.getMessage().contains("'v'"), missing.getMessage());
    }

    @Test
    void lowersTheLayerOutputErrorAgainstTheWeightedSearchAloneAndEncodesByTheContractRule() {
        encodesByTheContractRuleAndBeatsTheWeightedSearch(0x5EED_6971L, false, "GPTQ");
    }

    /**
     * GPTQ through the tensor API on a random [24, 64] layer, in index order (the five-argument form) or with
     * act-order: the scalar and SIMD kernels give the same tensor, its codes are the contract's rule on the values
     * GPTQ rounded, and the layer's output error is well below the diagonal-weighted search's (measured on the
     * seeds the tests give).
     */
    private static void encodesByTheContractRuleAndBeatsTheWeightedSearch(long seed, boolean actOrder, String label) {
        Layer layer = Layer.draw(seed, 24, 64, 400);
        int rows = layer.rows();
        int cols = layer.cols();
        double[] h = layer.h();
        float[] x = layer.x();
        QuantScheme scheme = QuantScheme.parse("q4f:block32:f16:gptq");
        FloatTensor w = layer.w();
        QuantizedTensor g = actOrder
                ? Gptq.quantize(Kernels.scalar(), "w", w, scheme, h, Gptq.DAMP, true)
                : Gptq.quantize(Kernels.scalar(), "w", w, scheme, h);
        QuantizedTensor simd = actOrder
                ? Gptq.quantize(Kernels.active(), "w", w, scheme, h, Gptq.DAMP, true)
                : Gptq.quantize(Kernels.active(), "w", w, scheme, h);
        assertArrayEquals(g.codes(), simd.codes());
        assertArrayEquals(g.scales(), simd.scales());
        Gptq.Result v = Gptq.values("t", x, rows, cols, scheme, h, Gptq.DAMP, actOrder);
        assertArrayEquals(
                Kernels.scalar()
                        .quantize("w", FloatTensor.of(v.values(), rows, cols), scheme, v.scales())
                        .codes(),
                g.codes(),
                "the codes are the contract's rule on the values GPTQ rounded");
        float[] imp = new float[cols];
        for (int j = 0; j < cols; j++) {
            imp[j] = (float) h[j * cols + j];
        }
        QuantizedTensor search = ScaleSearch.quantize(
                Kernels.scalar(), "w", w, scheme.withCalibration(dev.quant4j.annotations.Calibration.IMATRIX), imp);
        double eg = outputError(x, g, h, rows, cols);
        double es = outputError(x, search, h, rows, cols);
        assertTrue(eg < 0.8 * es, label + " " + eg + " vs weighted search " + es);
        System.out.println("output error tr(E H E^T): " + label + " " + eg + ", IMATRIX search " + es);
    }

    private static double outputError(float[] x, QuantizedTensor q, double[] h, int rows, int cols) {
        float[] d = q.dequantize().data();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                double ei = (double) x[r * cols + i] - d[r * cols + i];
                for (int k = 0; k < cols; k++) {
                    total += ei * h[i * cols + k] * ((double) x[r * cols + k] - d[r * cols + k]);
                }
            }
        }
        return total;
    }

    @Test
    void rejectsWhatItCannotDo() {
        FloatTensor v = FloatTensor.of(new float[64], 64);
        var e = assertThrows(
                QuantizationException.class,
                () -> Gptq.quantize(
                        Kernels.scalar(), "norm", v, QuantScheme.parse("q4f:block32:f16:gptq"), new double[64 * 64]));
        assertTrue(e.getMessage().contains("GPTQ quantizes the [out, in] matrix of a linear layer"), e.getMessage());
        FloatTensor m = FloatTensor.of(new float[2 * 64], 2, 64);
        var s = assertThrows(
                QuantizationException.class,
                () -> Gptq.quantize(
                        Kernels.scalar(), "w", m, QuantScheme.parse("q4f:block32:f16:gptq"), new double[63 * 63]));
        assertTrue(
                s.getMessage().contains("GPTQ needs the 64 x 64 second moments of the inputs of tensor 'w'"),
                s.getMessage());
    }
}
