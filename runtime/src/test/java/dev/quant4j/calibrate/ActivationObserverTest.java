package dev.quant4j.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationCalibration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Each calibration method against hand-computed cases, and exact merging where the method merges. */
class ActivationObserverTest {
    /** |x| falls in bins [4, 0, 2, 1] of width 1 over [0, 4) (amax 3.5 < 2^2). */
    private static final float[] FOUR_BINS = {0.5f, -0.25f, 0.75f, -0.5f, 2.5f, -2.25f, -3.5f};

    @Test
    void minMaxKeepsTheExtremesAndTheLargerMagnitude() {
        MinMaxObserver o = new MinMaxObserver();
        assertEquals(0f, o.threshold());
        assertFalse(o.hasObserved());
        o.observe(new float[] {1f, -2f, 0.5f}, 0, 3);
        o.observe(new float[] {99f, 3f, -1f}, 1, 3);
        assertEquals(-2f, o.min());
        assertEquals(3f, o.max());
        assertEquals(3f, o.threshold());
        assertEquals(3f / 127f, o.scale());
    }

    @Test
    void movingAverageStartsAtTheFirstBatchThenMovesByTheConstant() {
        MovingAverageMinMaxObserver o = new MovingAverageMinMaxObserver();
        assertEquals(0.01f, o.averagingConstant());
        o.observe(new float[] {-1f, 2f}, 0, 2);
        assertEquals(-1f, o.min());
        assertEquals(2f, o.max());
        o.observe(new float[] {-3f, 102f}, 0, 2);
        // min = -1 + 0.01 * (-3 - -1) = -1.02; max = 2 + 0.01 * (102 - 2) = 3, in float32
        assertEquals(-1f + 0.01f * (-3f - -1f), o.min());
        assertEquals(-1.02f, o.min(), 1e-6f);
        assertEquals(3f, o.max(), 1e-6f);
        assertEquals(o.max(), o.threshold());
    }

    @Test
    void movingAverageRefusesToMerge() {
        MovingAverageMinMaxObserver a = new MovingAverageMinMaxObserver();
        UnsupportedOperationException e =
                assertThrows(UnsupportedOperationException.class, () -> a.merge(new MovingAverageMinMaxObserver()));
        assertTrue(e.getMessage().contains("depends on the order of the batches"), e.getMessage());
    }

    @Test
    void histogramBinsMagnitudesOverThePowerOfTwoAboveTheMax() {
        HistogramObserver o = HistogramObserver.percentile(4, 50);
        o.observe(FOUR_BINS, 0, FOUR_BINS.length);
        assertEquals(2, o.rangeExponent());
        assertArrayEquals(new long[] {4, 0, 2, 1}, o.counts());
        assertEquals(3.5f, o.amax());
        assertEquals(7, o.total());
    }

    @Test
    void percentileReadsTheUpperEdgeOfTheBinThatReachesTheRankClippedToTheMax() {
        // cumulative counts 4, 4, 6, 7 of 7
        assertEquals(1f, percentile(50).threshold()); // needs 3.5: bin 0, edge 1
        assertEquals(1f, percentile(4.0 / 7 * 100).threshold()); // needs exactly 4: still bin 0
        assertEquals(3f, percentile(80).threshold()); // needs 5.6: bin 2, edge 3
        assertEquals(3.5f, percentile(100).threshold()); // bin 3, edge 4 > amax 3.5
        assertEquals(3.5f / 127f, percentile(100).scale());
    }

    private static HistogramObserver percentile(double p) {
        HistogramObserver o = HistogramObserver.percentile(4, p);
        o.observe(FOUR_BINS, 0, FOUR_BINS.length);
        return o;
    }

    @Test
    void entropyPicksTheKeptBinsOfLeastDivergence() {
        HistogramObserver o = HistogramObserver.entropy(4, 2);
        o.observe(FOUR_BINS, 0, FOUR_BINS.length);
        // 2 kept: P = [4, 3] (3 outliers folded in), Q = [4, 0]: Q is 0 where P is not, infinite.
        assertEquals(Double.POSITIVE_INFINITY, o.divergence(2));
        // 3 kept: P = [4, 0, 3]/7; levels [0,1) and [1,3): Q = [4, 0, 2]/6.
        double three = 4.0 / 7 * Math.log((4.0 / 7) / (4.0 / 6)) + 3.0 / 7 * Math.log((3.0 / 7) / (2.0 / 6));
        assertEquals(0.019620, three, 1e-6);
        assertEquals(three, o.divergence(3), 1e-15);
        // 4 kept: P = [4, 0, 2, 1]/7; levels [0,2) and [2,4): Q = [4, 0, 1.5, 1.5]/7.
        double four = 2.0 / 7 * Math.log(2 / 1.5) + 1.0 / 7 * Math.log(1 / 1.5);
        assertEquals(0.024271, four, 1e-6);
        assertEquals(four, o.divergence(4), 1e-15);
        assertEquals(3f, o.threshold());
        assertEquals(3f / 127f, o.scale());
    }

    @Test
    void entropyOfDataThatNeedsNoClippingKeepsEverything() {
        HistogramObserver o = HistogramObserver.entropy(4, 4);
        o.observe(new float[] {0.5f, 1.5f, 2.5f, 3.5f}, 0, 4);
        assertEquals(0.0, o.divergence(4), 0.0);
        assertEquals(3.5f, o.threshold());
    }

    @Test
    void allZeroDataHasScaleZero() {
        for (ActivationCalibration m : new ActivationCalibration[] {
            ActivationCalibration.MIN_MAX,
            ActivationCalibration.MOVING_AVERAGE_MIN_MAX,
            ActivationCalibration.PERCENTILE,
            ActivationCalibration.ENTROPY
        }) {
            ActivationObserver o = ActivationObservers.create(m);
            o.observe(new float[5], 0, 5);
            assertTrue(o.hasObserved(), m.toString());
            assertEquals(0f, o.scale(), m.toString());
        }
    }

    @Test
    void aTinyThresholdGetsTheSmallestScaleNotZero() {
        assertEquals(Float.MIN_VALUE, ActivationObserver.scaleOf(Float.MIN_VALUE));
        assertEquals(0f, ActivationObserver.scaleOf(0f));
    }

    @Test
    void nonFiniteValuesAreRefusedByIndex() {
        for (ActivationCalibration m : new ActivationCalibration[] {
            ActivationCalibration.MIN_MAX,
            ActivationCalibration.MOVING_AVERAGE_MIN_MAX,
            ActivationCalibration.PERCENTILE,
            ActivationCalibration.ENTROPY
        }) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> ActivationObservers.create(m).observe(new float[] {1f, Float.NaN}, 0, 2));
            assertTrue(e.getMessage().contains("NaN at index 1"), e.getMessage());
        }
    }

    @Test
    void noneHasNoObserver() {
        assertThrows(IllegalArgumentException.class, () -> ActivationObservers.create(ActivationCalibration.NONE));
    }

    @Test
    void histogramsOfDifferentConfigurationsDoNotMerge() {
        HistogramObserver a = HistogramObserver.percentile(8, 99);
        assertThrows(IllegalArgumentException.class, () -> a.merge(HistogramObserver.percentile(8, 98)));
        assertThrows(IllegalArgumentException.class, () -> a.merge(HistogramObserver.percentile(16, 99)));
        assertThrows(IllegalArgumentException.class, () -> a.merge(HistogramObserver.entropy(8, 4)));
        assertThrows(IllegalArgumentException.class, () -> a.merge(new MinMaxObserver()));
    }

    /** merge(a, b) == observe(a ++ b), over random batches spanning many powers of two, in both orders. */
    @Test
    void mergeEqualsObservingTheConcatenation() {
        forBatchPairs(11, 300, (a, b, ab) -> {
            checkMerge(MinMaxObserver::new, a, b, ab);
            checkMerge(() -> HistogramObserver.percentile(64, 99.5), a, b, ab);
            checkMerge(() -> HistogramObserver.entropy(64, 8), a, b, ab);
            checkMerge(HistogramObserver::percentile, a, b, ab);
        });
    }

    /** Observing batch by batch, in any order, gives the histogram of the concatenation. */
    @Test
    void histogramDoesNotDependOnTheBatches() {
        forBatchPairs(12, 100, (a, b, ab) -> {
            HistogramObserver ba = HistogramObserver.entropy(32, 4);
            ba.observe(b, 0, b.length);
            ba.observe(a, 0, a.length);
            HistogramObserver whole = HistogramObserver.entropy(32, 4);
            whole.observe(ab, 0, ab.length);
            assertArrayEquals(whole.counts(), ba.counts());
            assertEquals(whole.rangeExponent(), ba.rangeExponent());
            assertEquals(whole.threshold(), ba.threshold());
        });
    }

    /** Two random batches and their concatenation. */
    @FunctionalInterface
    private interface BatchPairCheck {
        void check(float[] a, float[] b, float[] ab);
    }

    /** Runs {@code check} on {@code rounds} pairs of random batches ({@link #batch}) drawn from {@code seed}. */
    private static void forBatchPairs(long seed, int rounds, BatchPairCheck check) {
        Random random = new Random(seed);
        for (int round = 0; round < rounds; round++) {
            float[] a = batch(random);
            float[] b = batch(random);
            float[] ab = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, ab, a.length, b.length);
            check.check(a, b, ab);
        }
    }

    private static float[] batch(Random random) {
        float[] x = new float[1 + random.nextInt(40)];
        float magnitude = (float) Math.scalb(1.0, random.nextInt(60) - 30);
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(10) == 0 ? 0f : (float) random.nextGaussian() * magnitude;
        }
        return x;
    }

    private static void checkMerge(Supplier<ActivationObserver> make, float[] a, float[] b, float[] ab) {
        ActivationObserver whole = make.get();
        whole.observe(ab, 0, ab.length);
        for (boolean reversed : new boolean[] {false, true}) {
            ActivationObserver left = make.get();
            ActivationObserver right = make.get();
            left.observe(reversed ? b : a, 0, (reversed ? b : a).length);
            right.observe(reversed ? a : b, 0, (reversed ? a : b).length);
            left.merge(right);
            assertEquals(whole.threshold(), left.threshold(), whole.method().toString());
            if (whole instanceof HistogramObserver h) {
                HistogramObserver m = (HistogramObserver) left;
                assertArrayEquals(h.counts(), m.counts());
                assertEquals(h.rangeExponent(), m.rangeExponent());
                assertEquals(h.amax(), m.amax());
                assertEquals(h.total(), m.total());
            }
        }
    }
}
