package dev.quant4j.calibrate;

import dev.quant4j.kernels.Kernels;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link InputStatistics#addProducts} with the Vector API, the same bits: each element of the triangle gets
 * the same terms in the same order. A term {@code x_ri * x_rk} is the product of two floats, exact in
 * double, so the fused multiply-add here rounds exactly as the reference's multiply then add. Loaded by name
 * by {@link InputStatistics} only when the SIMD kernels run.
 */
final class PanamaSecondMoments implements InputStatistics.Products {
    private static final VectorSpecies<Double> D =
            DoubleVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Kernels.simdBits()));
    private static final int L = D.length();

    PanamaSecondMoments() {}

    @Override
    public void add(double[] p, double[] d, int n, int cols) {
        for (int i = 0; i < cols; i++) {
            int at = i * cols;
            int r = 0;
            for (; r + InputStatistics.ROWS_PER_PASS <= n; r += InputStatistics.ROWS_PER_PASS) {
                int b0 = r * cols;
                int b1 = b0 + cols;
                int b2 = b1 + cols;
                int b3 = b2 + cols;
                double a0 = d[b0 + i];
                double a1 = d[b1 + i];
                double a2 = d[b2 + i];
                double a3 = d[b3 + i];
                DoubleVector v0 = DoubleVector.broadcast(D, a0);
                DoubleVector v1 = DoubleVector.broadcast(D, a1);
                DoubleVector v2 = DoubleVector.broadcast(D, a2);
                DoubleVector v3 = DoubleVector.broadcast(D, a3);
                int k = i;
                for (; k + L <= cols; k += L) {
                    DoubleVector acc = DoubleVector.fromArray(D, p, at + k);
                    acc = DoubleVector.fromArray(D, d, b0 + k).fma(v0, acc);
                    acc = DoubleVector.fromArray(D, d, b1 + k).fma(v1, acc);
                    acc = DoubleVector.fromArray(D, d, b2 + k).fma(v2, acc);
                    acc = DoubleVector.fromArray(D, d, b3 + k).fma(v3, acc);
                    acc.intoArray(p, at + k);
                }
                for (; k < cols; k++) {
                    p[at + k] = p[at + k] + a0 * d[b0 + k] + a1 * d[b1 + k] + a2 * d[b2 + k] + a3 * d[b3 + k];
                }
            }
            InputStatistics.addRows(p, d, r, n, cols, i);
        }
    }

    @Override
    public String toString() {
        return "panama-" + L * Double.SIZE;
    }
}
