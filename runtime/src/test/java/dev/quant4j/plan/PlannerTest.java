package dev.quant4j.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.plan.Sensitivity.Field;
import dev.quant4j.plan.Sensitivity.Option;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The planner on synthetic sensitivity tables: budgets honoured, and the optimum a brute force finds. */
class PlannerTest {
    private static final List<QuantScheme> SCHEMES = List.of(
            QuantScheme.parse("q4f:block128:f16"),
            QuantScheme.parse("q4f:block32:f16:gptq"),
            QuantScheme.parse("q8s:block32:f16"),
            QuantScheme.parse("q8s:block32:f32"));

    /** A random table: each field's options get larger and (mostly) better, as real candidates do. */
    private static Sensitivity random(Random rnd, int fields, int options) {
        List<Field> out = new ArrayList<>();
        long weights = 0;
        for (int i = 0; i < fields; i++) {
            long w = 32L * (1 + rnd.nextInt(200));
            weights += w;
            List<Option> opts = new ArrayList<>();
            long bytes = w / 4 + rnd.nextInt(50);
            double error = 0.001 + rnd.nextDouble() * 0.05;
            for (int o = 0; o < options; o++) {
                opts.add(new Option(SCHEMES.get(o), bytes, 0.01 + error));
                bytes += 1 + rnd.nextInt((int) w);
                // Sometimes a larger option is worse: the planner must not assume they are ordered.
                error *= rnd.nextInt(5) == 0 ? 1.3 : rnd.nextDouble();
            }
            out.add(new Field("f[" + i + "]", w, opts));
        }
        long fixed = rnd.nextInt(1000);
        return new Sensitivity(out, fixed, weights + fixed / 4, 0.01, 1 + fields * options);
    }

    /** Every combination: the least error within {@code budget} planned bytes, then the least bytes. */
    private static long[] bruteForce(Sensitivity s, long budget, double maxAdded, boolean byBudget) {
        List<Field> fs = s.fields();
        int n = fs.size();
        int[] idx = new int[n];
        long bestBytes = -1;
        double bestError = Double.POSITIVE_INFINITY;
        while (true) {
            long b = 0;
            double e = 0;
            for (int i = 0; i < n; i++) {
                Option o = fs.get(i).options().get(idx[i]);
                b += o.bytes();
                e += o.error() - s.baseline();
            }
            if (byBudget) {
                if (b <= budget && (e < bestError || (e == bestError && b < bestBytes))) {
                    bestError = e;
                    bestBytes = b;
                }
            } else if (e <= maxAdded && (bestBytes < 0 || b < bestBytes || (b == bestBytes && e < bestError))) {
                bestError = e;
                bestBytes = b;
            }
            int i = 0;
            while (i < n && ++idx[i] == fs.get(i).options().size()) {
                idx[i++] = 0;
            }
            if (i == n) {
                break;
            }
        }
        return new long[] {bestBytes, Double.doubleToLongBits(bestError)};
    }

    private static long plannedBytes(Plan p) {
        return p.choices().stream().mapToLong(Plan.Choice::bytes).sum();
    }

    private static double added(Plan p) {
        double e = 0;
        for (Plan.Choice c : p.choices()) {
            e += c.addedError();
        }
        return e;
    }

    @Test
    void honoursEveryBudgetAndFindsTheBruteForceOptimum() {
        Random rnd = new Random(15);
        int compared = 0;
        for (int iter = 0; iter < 400; iter++) {
            int fields = 1 + rnd.nextInt(iter < 300 ? 7 : 40);
            Sensitivity s = random(rnd, fields, 1 + rnd.nextInt(4));
            long least = 0;
            long most = 0;
            for (Field f : s.fields()) {
                least += f.options().stream().mapToLong(Option::bytes).min().orElseThrow();
                most += f.options().stream().mapToLong(Option::bytes).max().orElseThrow();
            }
            long planned = least + (long) (rnd.nextDouble() * (most - least));
            double bpw = 8.0 * (planned + s.fixedBytes()) / s.weights() + rnd.nextDouble() * 1e-6;
            Plan p = Planner.forBudget(s, bpw);
            long budget = (long) Math.floor(bpw * s.weights() / 8.0);
            assertTrue(p.bytes() <= budget, "iteration " + iter + ": " + p.bytes() + " bytes over " + budget);
            assertTrue(p.bitsPerWeight() <= bpw, "iteration " + iter + ": " + p.bitsPerWeight() + " > " + bpw);
            assertEquals(s.fields().size(), p.choices().size());
            assertEquals(plannedBytes(p) + s.fixedBytes(), p.bytes());
            if (fields <= 7) {
                long[] best = bruteForce(s, budget - s.fixedBytes(), 0, true);
                assertEquals(Double.longBitsToDouble(best[1]), added(p), 1e-12, "iteration " + iter + ": error");
                assertEquals(best[0], plannedBytes(p), "iteration " + iter + ": bytes at the least error");
                compared++;
            }
        }
        assertTrue(compared > 250, "brute-force comparisons: " + compared);
    }

    @Test
    void errorFloorGivesTheSmallestPlanThatMeetsIt() {
        Random rnd = new Random(16);
        for (int iter = 0; iter < 300; iter++) {
            Sensitivity s = random(rnd, 1 + rnd.nextInt(7), 1 + rnd.nextInt(4));
            double bestAdded = 0;
            double worstAdded = 0;
            for (Field f : s.fields()) {
                bestAdded +=
                        f.options().stream().mapToDouble(Option::error).min().orElseThrow() - s.baseline();
                worstAdded +=
                        f.options().stream().mapToDouble(Option::error).max().orElseThrow() - s.baseline();
            }
            double maxAdded = bestAdded + rnd.nextDouble() * (worstAdded - bestAdded) + 1e-12;
            Plan p = Planner.forError(s, s.baseline() + maxAdded);
            long[] best = bruteForce(s, 0, maxAdded, false);
            assertTrue(added(p) <= maxAdded + 1e-12, "iteration " + iter);
            assertEquals(best[0], plannedBytes(p), "iteration " + iter + ": the smallest plan that meets the floor");
            assertEquals(s.baseline() + added(p), p.predictedError(), 1e-15);
        }
    }

    /**
     * Greedy on gain per byte, from the smallest plan, upgrades "a" first (0.0095 for 10 bytes, 9.5e-4 per byte,
     * against "b"'s 0.09 for 100 bytes, 9e-4 per byte), and then "b"'s upgrade no longer fits 300 bytes: error
     * 0.1105. The optimum leaves "a" small and upgrades "b": 300 bytes, error 0.030.
     */
    @Test
    void beatsGreedyWhereGreedyIsWrong() {
        QuantScheme small = SCHEMES.get(0);
        QuantScheme big = SCHEMES.get(2);
        List<Field> fields = List.of(
                new Field("a", 1000, List.of(new Option(small, 100, 0.020), new Option(big, 110, 0.0105))),
                new Field("b", 1000, List.of(new Option(small, 100, 0.100), new Option(big, 200, 0.010))));
        Sensitivity s = new Sensitivity(fields, 0, 2000, 0, 5);
        Plan p = Planner.forBudget(s, 8.0 * 300 / 2000);
        assertEquals(small, p.schemeOf("a"));
        assertEquals(big, p.schemeOf("b"));
        assertEquals(300, p.bytes());
        assertEquals(0.030, p.predictedError(), 1e-12);
        assertEquals(1.2, p.bitsPerWeight(), 1e-12);
    }

    @Test
    void refusesABudgetNoPlanFits() {
        Sensitivity s = random(new Random(3), 5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Planner.forBudget(s, 0.5));
        assertTrue(e.getMessage().contains("no plan fits 0.5000 bits per weight"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Planner.forBudget(s, Double.NaN));
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> Planner.forError(s, 0));
        assertTrue(f.getMessage().contains("no plan meets"), f.getMessage());
    }

    @Test
    void printedLinesParseBack() {
        Sensitivity s = random(new Random(4), 6, 4);
        Plan p = Planner.forBudget(s, 8.0 * 1e9 / s.weights()); // everything fits: the least error
        List<String> annotations = p.annotationLines();
        List<String> rules = p.ruleLines();
        assertEquals(p.choices().size(), annotations.size());
        for (int i = 0; i < p.choices().size(); i++) {
            Plan.Choice c = p.choices().get(i);
            String a = annotations.get(i);
            assertTrue(a.startsWith("@Quantize(scheme = \"") && a.endsWith("\") // " + c.path()), a);
            String text = a.substring("@Quantize(scheme = \"".length(), a.indexOf("\")"));
            assertEquals(c.scheme(), QuantScheme.parse(text).validate());
            String r = rules.get(i);
            assertTrue(r.startsWith("--rule '") && r.endsWith("'"), r);
            String rule = r.substring("--rule '".length(), r.length() - 1);
            int eq = rule.lastIndexOf('=');
            assertEquals(Plan.globLiteral(c.path()), rule.substring(0, eq));
            assertEquals(c.scheme(), QuantScheme.parse(rule.substring(eq + 1)));
        }
        assertEquals("f\\[3\\]", Plan.globLiteral("f[3]"));
        assertEquals("a\\*b\\?c\\{d\\,e\\}\\\\", Plan.globLiteral("a*b?c{d,e}\\"));
    }
}
