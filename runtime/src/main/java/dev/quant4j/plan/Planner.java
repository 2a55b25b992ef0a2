package dev.quant4j.plan;

import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.plan.Sensitivity.Field;
import dev.quant4j.plan.Sensitivity.Option;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Chooses each field's scheme from its measured candidates ({@link Sensitivity}): for a budget in bits per weight
 * the plan with the smallest predicted error that fits it, for an error floor the smallest plan whose predicted
 * error meets it. The predicted error of a plan is the float32 model's plus the error each field adds when it
 * alone is quantized (the additive model); under that model the choice is exact: a dynamic programme over the
 * fields keeps, after each field, every (bytes, error) pair no other pair beats in both (a multiple-choice
 * knapsack's Pareto frontier), so it finds what a brute force over every combination finds, without enumerating
 * them. Should a frontier grow past {@value #MAX_FRONTIER} states it is thinned to one state per
 * 1/{@value #MAX_FRONTIER} of its byte range (the least error in each), and the choice is then near-exact.
 *
 * <p>Planning itself runs no forward pass; {@link #forError(Sensitivity, double, Object, WeightQuantizer,
 * OutputError, int)} re-measures the combined plan (one pass per round) because the fields' errors do not add up
 * exactly.
 */
public final class Planner {
    /** The most states one field's frontier keeps before it is thinned. */
    static final int MAX_FRONTIER = 50_000;

    private Planner() {}

    /**
     * The plan with the smallest predicted error whose bits per weight (over every weight of the model) are at most
     * {@code bitsPerWeight}; among plans of equal error, the smallest.
     *
     * @throws IllegalArgumentException when even the smallest candidates exceed the budget, naming what they need
     */
    public static Plan forBudget(Sensitivity s, double bitsPerWeight) {
        Objects.requireNonNull(s, "sensitivity");
        if (!(bitsPerWeight > 0) || Double.isInfinite(bitsPerWeight)) {
            throw new IllegalArgumentException(
                    "a budget of " + bitsPerWeight + " bits per weight: give a positive number");
        }
        long budget = (long) Math.floor(bitsPerWeight * s.weights() / 8.0) - s.fixedBytes();
        long least = 0;
        for (Field f : s.fields()) {
            least += f.options().stream().mapToLong(Option::bytes).min().orElseThrow();
        }
        if (least > budget) {
            throw new IllegalArgumentException(String.format(
                    Locale.ROOT,
                    "no plan fits %.4f bits per weight: the"
                            + " smallest candidates give %.4f; raise the budget or add a smaller candidate",
                    bitsPerWeight,
                    8.0 * (least + s.fixedBytes()) / s.weights()));
        }
        Frontier f = frontier(s, budget);
        return f.plan(s, f.size() - 1); // the frontier's error falls as its bytes rise
    }

    /**
     * The smallest plan whose predicted error is at most {@code maxError} (an error as the {@link OutputError}
     * measured it, e.g. 0.002 for a mean cosine of 0.998 when the error is {@code 1 - cosine}).
     *
     * @throws IllegalArgumentException when even the largest candidates predict more, naming their error
     */
    public static Plan forError(Sensitivity s, double maxError) {
        Objects.requireNonNull(s, "sensitivity");
        Frontier f = frontier(s, Long.MAX_VALUE);
        double target = maxError - s.baseline();
        for (int i = 0; i < f.size(); i++) {
            if (f.error[i] <= target) {
                return f.plan(s, i);
            }
        }
        throw new IllegalArgumentException(String.format(
                Locale.ROOT,
                "no plan meets an error of %.4e: the best"
                        + " candidates predict %.4e; allow more error or add a better candidate",
                maxError,
                f.error[f.size() - 1] + s.baseline()));
    }

    /**
     * Like {@link #forError(Sensitivity, double)}, with the plan measured: when the measured error exceeds
     * {@code maxError}, the predicted error asked for is scaled down by {@code maxError / measured} and the plan
     * chosen again, for up to {@code rounds} measurements. Costs one quantization of the model and one pass of
     * {@code error} per round.
     *
     * @return the first plan measured within {@code maxError}, else the last one tried, with its measured error
     */
    public static Measured forError(
            Sensitivity s, double maxError, Object model, WeightQuantizer quantizer, OutputError error, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
        }
        double target = maxError;
        Measured last = null;
        for (int r = 0; r < rounds; r++) {
            Plan p;
            try {
                p = forError(s, target);
            } catch (IllegalArgumentException e) {
                if (last == null) {
                    throw e;
                }
                return last; // no plan predicts the tightened target: the last one measured is the best there is
            }
            double measured = Sensitivity.measure(model, p, quantizer, error);
            last = new Measured(p, measured, r + 1);
            if (measured <= maxError) {
                return last;
            }
            double added = target - s.baseline();
            double measuredAdded = measured - s.baseline();
            if (!(added > 0) || !(measuredAdded > 0)) {
                return last;
            }
            target = s.baseline() + added * (maxError - s.baseline()) / measuredAdded;
        }
        return last;
    }

    /**
     * A plan and its measured error.
     *
     * @param rounds the measurements it took
     */
    public record Measured(Plan plan, double measuredError, int rounds) {}

    /**
     * The Pareto frontier of the last field: states sorted by bytes (rising), error strictly falling, each with the
     * choice of every field (through {@code parents}).
     */
    static final class Frontier {
        final long[] bytes;
        final double[] error;
        /** Per field, per state of that field's frontier: the state of the field before, and the option. */
        final List<int[]> parents;

        final List<int[]> options;

        Frontier(long[] bytes, double[] error, List<int[]> parents, List<int[]> options) {
            this.bytes = bytes;
            this.error = error;
            this.parents = parents;
            this.options = options;
        }

        int size() {
            return bytes.length;
        }

        /** Each field's option index for state {@code state}. */
        int[] choice(int state) {
            int n = parents.size();
            int[] out = new int[n];
            int s = state;
            for (int i = n - 1; i >= 0; i--) {
                out[i] = options.get(i)[s];
                s = parents.get(i)[s];
            }
            return out;
        }

        Plan plan(Sensitivity s, int state) {
            int[] c = choice(state);
            List<Plan.Choice> choices = new ArrayList<>();
            for (int i = 0; i < c.length; i++) {
                Field f = s.fields().get(i);
                Option o = f.options().get(c[i]);
                choices.add(new Plan.Choice(f.path(), o.scheme(), o.bytes(), o.error() - s.baseline()));
            }
            return new Plan(choices, s.fixedBytes(), s.weights(), s.baseline());
        }
    }

    /** The frontier of plans whose planned bytes are at most {@code budget}. */
    static Frontier frontier(Sensitivity s, long budget) {
        List<Field> fields = s.fields();
        int n = fields.size();
        // The least bytes the fields after each one need: a state that cannot fit them is dropped early.
        long[] leastAfter = new long[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            leastAfter[i] = leastAfter[i + 1]
                    + fields.get(i).options().stream()
                            .mapToLong(Option::bytes)
                            .min()
                            .orElseThrow();
        }
        long[] bytes = {0};
        double[] error = {0};
        List<int[]> parents = new ArrayList<>();
        List<int[]> options = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Option> opts = fields.get(i).options();
            int m = bytes.length * opts.size();
            long[] cb = new long[m];
            double[] ce = new double[m];
            int[] cp = new int[m];
            int[] co = new int[m];
            int k = 0;
            for (int st = 0; st < bytes.length; st++) {
                for (int o = 0; o < opts.size(); o++) {
                    long b = bytes[st] + opts.get(o).bytes();
                    if (b > budget - leastAfter[i + 1]) {
                        continue;
                    }
                    cb[k] = b;
                    ce[k] = error[st] + (opts.get(o).error() - s.baseline());
                    cp[k] = st;
                    co[k] = o;
                    k++;
                }
            }
            Integer[] order = new Integer[k];
            for (int j = 0; j < k; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> cb[a] != cb[b] ? Long.compare(cb[a], cb[b]) : Double.compare(ce[a], ce[b]));
            // Keep a state only when it has less error than every smaller one.
            int[] keep = new int[k];
            int kept = 0;
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                int idx = order[j];
                if (ce[idx] < best) {
                    best = ce[idx];
                    keep[kept++] = idx;
                }
            }
            keep = thin(keep, kept, cb);
            bytes = new long[keep.length];
            error = new double[keep.length];
            int[] par = new int[keep.length];
            int[] opt = new int[keep.length];
            for (int j = 0; j < keep.length; j++) {
                bytes[j] = cb[keep[j]];
                error[j] = ce[keep[j]];
                par[j] = cp[keep[j]];
                opt[j] = co[keep[j]];
            }
            parents.add(par);
            options.add(opt);
        }
        return new Frontier(bytes, error, parents, options);
    }

    /**
     * At most {@link #MAX_FRONTIER} of the kept states: the last (least error) of each of that many equal byte
     * ranges, and the first state, so the smallest plan stays reachable.
     */
    private static int[] thin(int[] keep, int kept, long[] bytes) {
        if (kept <= MAX_FRONTIER) {
            return Arrays.copyOf(keep, kept);
        }
        long lo = bytes[keep[0]];
        double width = (double) (bytes[keep[kept - 1]] - lo + 1) / (MAX_FRONTIER - 1);
        int[] out = new int[MAX_FRONTIER + 1];
        int n = 0;
        out[n++] = keep[0];
        long lastBucket = 0;
        for (int j = 1; j < kept; j++) {
            long bucket = (long) ((bytes[keep[j]] - lo) / width) + 1;
            if (bucket == lastBucket) {
                out[n - 1] = keep[j]; // the later state in the same range has less error
            } else {
                out[n++] = keep[j];
                lastBucket = bucket;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
