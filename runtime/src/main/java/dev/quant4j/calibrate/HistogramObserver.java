package dev.quant4j.calibrate;

import dev.quant4j.annotations.ActivationCalibration;
import java.util.Arrays;

/**
 * {@link ActivationCalibration#PERCENTILE} and {@link ActivationCalibration#ENTROPY}: a histogram of
 * {@code |x|} from which the threshold is read off. Exact rules in docs/NUMERICS.md ("Calibrating static
 * activations"); in short:
 *
 * <ul>
 *   <li><b>Bins.</b> {@code N} bins (a power of two, default 2048 as ONNX Runtime and TensorRT) over
 *       {@code [0, 2^e)}, bin width {@code w = 2^e / N}; bin of {@code v = |x|} is {@code floor(v / w)},
 *       computed exactly ({@code v} scaled by a power of two). {@code e} is the smallest exponent
 *       {@code >= -126} with every observed {@code |x| < 2^e}; when a batch needs a larger range, {@code e}
 *       grows and bins are combined in groups of {@code 2^(e' - e)} ({@code i -> i >> (e' - e)}), which is
 *       exactly where the values would have been binned at the new range. So the histogram depends only on
 *       the multiset of values seen, not on the batches or their order, and {@link #merge} is exact.</li>
 *   <li><b>Percentile</b> {@code p}: the first bin {@code i} whose cumulative count reaches
 *       {@code p / 100 * n} (double); {@code T = min((i + 1) * w, amax)}.</li>
 *   <li><b>Entropy</b> (TensorRT's KL calibration, {@code L} levels, 128 for int8 symmetric): for each
 *       candidate of {@code i} kept bins, {@code L <= i <= N}, the KL divergence between the reference
 *       (bins below {@code i}, outliers added to bin {@code i - 1}) and its quantization to {@code L} levels
 *       (each level's count spread evenly over its nonzero bins); the smallest {@code i} with the least
 *       divergence wins; {@code T = min(i * w, amax)}.</li>
 * </ul>
 */
public final class HistogramObserver implements ActivationObserver {
    private static final long serialVersionUID = 1L;
    /** ONNX Runtime's and TensorRT's bin count. */
    public static final int DEFAULT_BINS = 2048;
    /** ONNX Runtime's default percentile. */
    public static final double DEFAULT_PERCENTILE = 99.999;
    /** Quantized levels of the magnitude for int8 symmetric (TensorRT). */
    public static final int DEFAULT_LEVELS = 128;

    private static final int MIN_RANGE_EXPONENT = Float.MIN_EXPONENT;

    private final ActivationCalibration method;
    private final int bins;
    private final int log2Bins;
    private final double percentile;
    private final int levels;
    private final long[] counts;
    private int rangeExponent = MIN_RANGE_EXPONENT;
    private float amax;
    private long total;

    private HistogramObserver(ActivationCalibration method, int bins, double percentile, int levels) {
        if (bins < 2 || Integer.bitCount(bins) != 1 || bins > (1 << 24)) {
            throw new IllegalArgumentException("histogram bins must be a power of two from 2 to 2^24, got " + bins);
        }
        this.method = method;
        this.bins = bins;
        this.log2Bins = Integer.numberOfTrailingZeros(bins);
        this.percentile = percentile;
        this.levels = levels;
        this.counts = new long[bins];
    }

    /** Percentile calibration with ONNX Runtime's defaults: 2048 bins, 99.999. */
    public static HistogramObserver percentile() {
        return percentile(DEFAULT_BINS, DEFAULT_PERCENTILE);
    }

    /** @param percentile in {@code (0, 100]} */
    public static HistogramObserver percentile(int bins, double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("the percentile must be in (0, 100], got " + percentile);
        }
        return new HistogramObserver(ActivationCalibration.PERCENTILE, bins, percentile, 0);
    }

    /** Entropy calibration with TensorRT's defaults: 2048 bins, 128 levels. */
    public static HistogramObserver entropy() {
        return entropy(DEFAULT_BINS, DEFAULT_LEVELS);
    }

    /** @param levels quantized levels of the magnitude, from 1 to {@code bins} */
    public static HistogramObserver entropy(int bins, int levels) {
        if (levels < 1 || levels > bins) {
            throw new IllegalArgumentException("entropy calibration needs 1 to " + bins + " levels, got " + levels);
        }
        return new HistogramObserver(ActivationCalibration.ENTROPY, bins, 0, levels);
    }

    @Override
    public ActivationCalibration method() {
        return method;
    }

    public int bins() {
        return bins;
    }

    /** The bins cover {@code [0, 2^rangeExponent())}. */
    public int rangeExponent() {
        return rangeExponent;
    }

    /** A copy of the bin counts. */
    public long[] counts() {
        return counts.clone();
    }

    /** Values observed. */
    public long total() {
        return total;
    }

    /** The largest {@code |x|} observed; 0 before any. */
    public float amax() {
        return amax;
    }

    @Override
    public boolean hasObserved() {
        return total > 0;
    }

    @Override
    public void observe(float[] x, int from, int to) {
        ActivationObserver.checkFinite(x, from, to);
        if (from >= to) {
            return;
        }
        float batchMax = 0f;
        for (int i = from; i < to; i++) {
            batchMax = Math.max(batchMax, Math.abs(x[i]));
        }
        growTo(exponentAbove(batchMax));
        amax = Math.max(amax, batchMax);
        int shift = log2Bins - rangeExponent;
        for (int i = from; i < to; i++) {
            // |x| < 2^e, so |x| * 2^(log2Bins - e) < bins; scaling by a power of two is exact.
            counts[(int) Math.scalb(Math.abs(x[i]), shift)]++;
        }
        total += to - from;
    }

    /** The smallest exponent {@code e >= -126} with {@code v < 2^e}. */
    private static int exponentAbove(float v) {
        return Math.max(MIN_RANGE_EXPONENT, Math.getExponent(v) + 1);
    }

    /** Widens the range to {@code [0, 2^e)} by combining bins; no-op if it is already that wide. */
    private void growTo(int e) {
        if (e <= rangeExponent) {
            return;
        }
        int shift = e - rangeExponent;
        long[] grown = new long[bins];
        for (int i = 0; i < bins; i++) {
            grown[shift >= log2Bins ? 0 : i >> shift] += counts[i];
        }
        System.arraycopy(grown, 0, counts, 0, bins);
        rangeExponent = e;
    }

    @Override
    public void merge(ActivationObserver other) {
        if (!(other instanceof HistogramObserver o)
                || o.method != method
                || o.bins != bins
                || Double.compare(o.percentile, percentile) != 0
                || o.levels != levels) {
            throw new IllegalArgumentException("a " + describe() + " observer cannot merge a "
                    + (other instanceof HistogramObserver o
                            ? o.describe()
                            : other.method().toString()) + " observer");
        }
        HistogramObserver copy = o.copy();
        copy.growTo(rangeExponent);
        growTo(copy.rangeExponent);
        for (int i = 0; i < bins; i++) {
            counts[i] += copy.counts[i];
        }
        amax = Math.max(amax, o.amax);
        total += o.total;
    }

    private HistogramObserver copy() {
        HistogramObserver c = new HistogramObserver(method, bins, percentile, levels);
        System.arraycopy(counts, 0, c.counts, 0, bins);
        c.rangeExponent = rangeExponent;
        c.amax = amax;
        c.total = total;
        return c;
    }

    private String describe() {
        return method == ActivationCalibration.PERCENTILE
                ? "PERCENTILE(" + bins + " bins, " + percentile + ")"
                : "ENTROPY(" + bins + " bins, " + levels + " levels)";
    }

    /** The upper edge of the first {@code keptBins} bins, {@code keptBins * w}, exact. */
    private float edge(int keptBins) {
        return Math.scalb((float) keptBins, rangeExponent - log2Bins);
    }

    @Override
    public float threshold() {
        if (total == 0 || amax == 0f) {
            return 0f;
        }
        int kept = method == ActivationCalibration.PERCENTILE ? percentileBins() : entropyBins();
        return Math.min(edge(kept), amax);
    }

    /** {@code i + 1} for the first bin {@code i} whose cumulative count reaches {@code p / 100 * n}. */
    private int percentileBins() {
        double need = percentile / 100.0 * total;
        long cumulative = 0;
        for (int i = 0; i < bins; i++) {
            cumulative += counts[i];
            if (cumulative >= need) {
                return i + 1;
            }
        }
        return bins;
    }

    /** The number of kept bins whose quantized distribution is nearest the reference (KL), smallest on ties. */
    private int entropyBins() {
        int best = bins;
        double bestDivergence = Double.POSITIVE_INFINITY;
        for (int kept = levels; kept <= bins; kept++) {
            double d = divergence(kept);
            if (d < bestDivergence) {
                bestDivergence = d;
                best = kept;
            }
        }
        return best;
    }

    /**
     * KL(P || Q) for {@code kept} bins: P = counts below {@code kept} with the outliers added to the last kept
     * bin, over {@code n}; Q = the kept counts (without outliers) summed per level and spread evenly over the
     * level's nonzero bins, over their sum. Levels are runs of {@code m = kept / levels} bins, the last one
     * taking the remainder. {@code +Infinity} where Q is 0 and P is not.
     */
    double divergence(int kept) {
        long outliers = 0;
        for (int i = kept; i < bins; i++) {
            outliers += counts[i];
        }
        long keptSum = total - outliers;
        if (keptSum == 0) {
            return Double.POSITIVE_INFINITY;
        }
        int perLevel = kept / levels;
        double divergence = 0;
        for (int level = 0; level < levels; level++) {
            int start = level * perLevel;
            int end = level == levels - 1 ? kept : start + perLevel;
            long levelSum = 0;
            int nonzero = 0;
            for (int i = start; i < end; i++) {
                levelSum += counts[i];
                nonzero += counts[i] != 0 ? 1 : 0;
            }
            double q = nonzero == 0 ? 0 : (double) levelSum / nonzero / keptSum;
            for (int i = start; i < end; i++) {
                long pCount = i == kept - 1 ? counts[i] + outliers : counts[i];
                if (pCount == 0) {
                    continue;
                }
                if (counts[i] == 0) {
                    return Double.POSITIVE_INFINITY;
                }
                double p = (double) pCount / total;
                divergence += p * Math.log(p / q);
            }
        }
        return divergence;
    }

    @Override
    public String toString() {
        return describe() + " over [0, 2^" + rangeExponent + "), " + total + " values, amax " + amax + ", counts "
                + (bins <= 16 ? Arrays.toString(counts) : "(" + bins + " bins)");
    }
}
