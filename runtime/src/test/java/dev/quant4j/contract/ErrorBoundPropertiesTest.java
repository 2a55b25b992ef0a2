package dev.quant4j.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quant4j.annotations.QuantParam;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The contract's accuracy promises, as seeded property loops over many thousands of random tensors
 * and schemes: for integer values with normal float32 scales, {@code |x - x'| <= s / 2} for every x
 * inside the range; for float values, the relative error of the format's rounding.
 */
class ErrorBoundPropertiesTest {
    private static final long SEED = 0xB0B0L;
    /** Random tensors per test (about 140 elements each on average). */
    private static final int CASES = 1500;

    private static final ContractValue[] INTEGERS = {
        ContractValue.Q8F, ContractValue.Q8S, ContractValue.Q4F, ContractValue.Q4S, ContractValue.Q2F, ContractValue.Q2S
    };
    private static final ContractValue[] FLOATS = {ContractValue.E4M3, ContractValue.E5M2, ContractValue.E2M1};

    /** A random scheme for a random shape, and values whose block scales stay normal float32. */
    private record Case(int[] shape, float[] x, QuantScheme scheme) {}

    private static Case draw(SplittableRandom r, ContractValue v) {
        int rank = 1 + r.nextInt(3);
        int[] shape = TensorGen.shape(r, rank);
        QuantParam p = QuantParam.values()[r.nextInt(4)];
        QuantScheme s = QuantScheme.DEFAULT.withValue(v.quantValue()).withParam(p);
        if (r.nextBoolean()) {
            int[] block = new int[1 + r.nextInt(rank)];
            for (int i = 0; i < block.length; i++) {
                block[i] = 1 + r.nextInt(r.nextBoolean() ? 4 : 40);
            }
            s = s.withBlockSize(block);
        }
        TensorGen.Style style = switch (r.nextInt(3)) {
            case 0 -> TensorGen.Style.GAUSSIAN;
            case 1 -> TensorGen.Style.DYADIC;
            default -> TensorGen.Style.MIXED;
        };
        float[] x = TensorGen.values(r, TensorGen.elementCount(shape), style);
        // Keep magnitudes where every param type holds the scale and the scale is a normal float.
        double limit = p == QuantParam.F16 ? 60000 : 1e30;
        for (int i = 0; i < x.length; i++) {
            if (!(Math.abs(x[i]) < limit)) {
                x[i] = (float) (Math.signum(x[i]) * limit * r.nextDouble());
            }
        }
        return new Case(shape, x, s);
    }

    /** Block index of every element, by coordinates (independent of the kernels' row walk). */
    private static int[] blockOf(int[] shape, QuantScheme s) {
        int[] blockShape = s.blockShapeFor(shape);
        int[] grid = new BlockLayout(shape, s).grid();
        int n = TensorGen.elementCount(shape);
        int[] out = new int[n];
        if (s.blockRank() == 0) {
            return out;
        }
        for (int i = 0; i < n; i++) {
            int rest = i;
            int b = 0;
            int stride = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                b += ((rest % shape[d]) / blockShape[d]) * stride;
                stride *= grid[d];
                rest /= shape[d];
            }
            out[i] = b;
        }
        return out;
    }

    /**
     * In real arithmetic on {@code y = fl(x / s)} the promise is exact: {@code |y - q| <= 1/2}. Measured
     * on x itself, {@code |x - x'| <= s / 2} holds up to the two float32 roundings the contract
     * prescribes (the division and the product {@code q * s}): for example x = -7.4375 with Q2F and
     * s = 4.9583335 has x / s = -1.49999997 exactly, which the float32 division rounds to -1.5, a tie
     * that goes to -2, so |x - x'| exceeds s / 2 by 2^-22. The test allows exactly that slack,
     * {@code s * ulp(y) / 2 + ulp(x') / 2}, and counts how often it is needed.
     */
    @Test
    void integerErrorIsAtMostHalfAScale() {
        SplittableRandom r = new SplittableRandom(SEED);
        long elements = 0;
        long neededSlack = 0;
        BigDecimal half = new BigDecimal("0.5");
        for (int c = 0; c < CASES; c++) {
            ContractValue v = INTEGERS[c % INTEGERS.length];
            Case k = draw(r, v);
            QuantizedTensor q = Kernels.scalar().quantize("t", FloatTensor.of(k.x(), k.shape()), k.scheme());
            float[] d = new float[k.x().length];
            Kernels.scalar().dequantize(q, d);
            int[] block = blockOf(k.shape(), k.scheme());
            for (int i = 0; i < d.length; i++) {
                float s = q.scales()[block[i]];
                if (s < Float.MIN_NORMAL) {
                    continue; // the promise is for normal float32 scales
                }
                float x = k.x()[i];
                float y = Exact.divide(x, s);
                if (y < v.a - 0.5f || y > v.b + 0.5f) {
                    continue; // outside the range: clipped, no promise
                }
                String at = "x = " + x + ", s = " + s + ", y = " + y + ", code " + q.code(i) + ", x' = " + d[i]
                        + ", scheme " + k.scheme() + " (seed " + SEED + " case " + c + " element " + i + ")";
                if (Exact.exact(y).subtract(BigDecimal.valueOf(q.code(i))).abs().compareTo(half) > 0) {
                    fail("|y - q| > 1/2: " + at);
                }
                BigDecimal sd = Exact.exact(s);
                BigDecimal err = Exact.exact(x).subtract(Exact.exact(d[i])).abs();
                BigDecimal bound = sd.multiply(half);
                if (err.compareTo(bound) > 0) {
                    neededSlack++;
                    BigDecimal slack = sd.multiply(new BigDecimal(Math.ulp(y)))
                            .multiply(half)
                            .add(new BigDecimal(Math.ulp(d[i])).multiply(half));
                    if (err.compareTo(bound.add(slack)) > 0) {
                        fail("|x - x'| = " + err + " > s/2 + rounding slack " + slack + ": " + at);
                    }
                }
                elements++;
            }
        }
        System.out.println(
                "integer bound: " + elements + " elements, " + neededSlack + " needed the float32 rounding slack");
        assertTrue(elements > 100_000, "elements " + elements);
    }

    /**
     * Float values: the format rounds y = fl(x / s) to nearest, so inside the format's normal range
     * {@code |y - v| <= 2^-(M+1) |y|} exactly, and in its subnormal range {@code |y - v|} is at most half
     * the subnormal step. Saturated values (|y| above the largest finite) are outside the promise.
     */
    @Test
    void floatErrorIsHalfAnUlpOfTheFormat() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        long elements = 0;
        for (int c = 0; c < CASES; c++) {
            ContractValue v = FLOATS[c % FLOATS.length];
            FloatFormat f = v.format;
            Case k = draw(r, v);
            QuantizedTensor q = Kernels.scalar().quantize("t", FloatTensor.of(k.x(), k.shape()), k.scheme());
            float[] d = new float[k.x().length];
            Kernels.scalar().dequantize(q, d);
            int[] block = blockOf(k.shape(), k.scheme());
            BigDecimal relative = BigDecimal.ONE.divide(BigDecimal.valueOf(2L << f.mantissaBits));
            BigDecimal halfSubnormal = new BigDecimal(f.smallestSubnormal() / 2);
            boolean[] nonZeroBlock = new boolean[q.scales().length];
            for (int i = 0; i < d.length; i++) {
                nonZeroBlock[block[i]] |= k.x()[i] != 0f;
            }
            for (int i = 0; i < d.length; i++) {
                float s = q.scales()[block[i]];
                if (!nonZeroBlock[block[i]]) {
                    continue; // an all-zero block takes the +0 code, by its own rule
                }
                float x = k.x()[i];
                float y = Exact.divide(x, s);
                if (Math.abs(y) > f.largestFinite()) {
                    continue;
                }
                BigDecimal decoded = new BigDecimal(f.value(q.code(i)));
                BigDecimal err = Exact.exact(y).subtract(decoded).abs();
                BigDecimal bound =
                        Math.abs(y) >= f.smallestNormal() ? Exact.exact(y).abs().multiply(relative) : halfSubnormal;
                if (err.compareTo(bound) > 0) {
                    fail(v + ": |y - v| = " + err + " > " + bound + " for x = " + x + ", s = " + s + ", y = " + y
                            + ", code 0x" + Integer.toHexString(q.code(i)) + " (seed " + (SEED + 1) + " case " + c
                            + " element " + i + ")");
                }
                // The sign always survives, zero included.
                if ((Float.floatToRawIntBits(y) < 0) != ((q.code(i) & f.signBit) != 0)) {
                    fail(v + ": sign of " + y + " lost in code 0x" + Integer.toHexString(q.code(i)));
                }
                elements++;
            }
        }
        System.out.println("float bound: " + elements + " elements");
        assertTrue(elements > 100_000, "elements " + elements);
    }
}
