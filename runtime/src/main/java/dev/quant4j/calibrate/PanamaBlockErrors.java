package dev.quant4j.calibrate;

import dev.quant4j.annotations.QuantValue;
import dev.quant4j.kernels.Kernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ScaleSearch#blockError} with the Vector API, the same bits at every width: the 16 partial sums
 * of the reference are 16 float lanes (one vector at 512 bits, two at 256, four at 128), so each lane
 * adds the same terms in the same order as its partial sum; the lanes are then stored and summed left
 * to right by the reference's own code, and the elements after the last whole 16 are added by the
 * reference's own term. Each term is the reference's float32 operations in the same order (a division,
 * round half to even by the {@code 1.5 * 2^23} addition, which is exact for |y| &lt; 2^22 and the search
 * keeps |y| below 4 * 128.5, an int clamp, a multiplication, a subtraction, a square, the weight):
 * no fused multiply-add, which would round differently. Loaded by name by {@link ScaleSearch} only when
 * the SIMD kernels run.
 */
final class PanamaBlockErrors implements ScaleSearch.BlockErrors {
    private static final VectorSpecies<Float> F =
            FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Kernels.simdBits()));
    private static final int L = F.length();
    private static final int MAGIC_BITS = 0x4B400000;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23

    PanamaBlockErrors() {}

    @Override
    public float error(float[] x, float[] w, int from, int n, float s, QuantValue value, float[] partials) {
        if (value.isFloat()) {
            return ScaleSearch.blockError(x, w, from, n, s, value, partials);
        }
        int lo = MAGIC_BITS + value.minCode();
        int hi = MAGIC_BITS + value.maxCode();
        FloatVector sv = FloatVector.broadcast(F, s);
        int whole = n & ~(ScaleSearch.PARTIALS - 1);
        int end = from + whole;
        if (L == 16) {
            FloatVector a0 = FloatVector.zero(F);
            for (int i = from; i < end; i += 16) {
                a0 = a0.add(term(x, w, i, sv, lo, hi));
            }
            a0.intoArray(partials, 0);
        } else if (L == 8) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            for (int i = from; i < end; i += 16) {
                a0 = a0.add(term(x, w, i, sv, lo, hi));
                a1 = a1.add(term(x, w, i + 8, sv, lo, hi));
            }
            a0.intoArray(partials, 0);
            a1.intoArray(partials, 8);
        } else {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int i = from; i < end; i += 16) {
                a0 = a0.add(term(x, w, i, sv, lo, hi));
                a1 = a1.add(term(x, w, i + 4, sv, lo, hi));
                a2 = a2.add(term(x, w, i + 8, sv, lo, hi));
                a3 = a3.add(term(x, w, i + 12, sv, lo, hi));
            }
            a0.intoArray(partials, 0);
            a1.intoArray(partials, 4);
            a2.intoArray(partials, 8);
            a3.intoArray(partials, 12);
        }
        for (int k = whole; k < n; k++) {
            partials[k & (ScaleSearch.PARTIALS - 1)] += ScaleSearch.term(x, w, from + k, s, value);
        }
        return ScaleSearch.sumPartials(partials);
    }

    private static FloatVector term(float[] x, float[] w, int i, FloatVector s, int lo, int hi) {
        FloatVector xv = FloatVector.fromArray(F, x, i);
        IntVector q = xv.div(s).add(MAGIC).reinterpretAsInts().max(lo).min(hi).sub(MAGIC_BITS);
        FloatVector qf = (FloatVector) q.convert(VectorOperators.I2F, 0);
        FloatVector r = xv.sub(qf.mul(s));
        FloatVector e = r.mul(r);
        return w == null ? e : e.mul(FloatVector.fromArray(F, w, i));
    }

    @Override
    public String toString() {
        return "panama-" + Kernels.simdBits();
    }
}
