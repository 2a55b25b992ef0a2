package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.it.model.Vector;
import dev.quant4j.it.support.LoopReadMain;
import dev.quant4j.it.support.Status;
import dev.quant4j.testkit.ChildJvm;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A loop that reads a quantized field per element ({@code for (i) s += w[i]}) re-reads the field on every
 * iteration. With a cache it must cost one dequantization, not one per element, even for a tensor larger than the
 * budget; without one (cache=none) each read dequantizes, and the agent says so once, naming the field and the fix.
 * Counted through the agent's status, never timed.
 */
class LoopReadTest {
    private static final int READS = 2000;

    private static float elementLoop(Vector v) {
        float s = 0;
        for (int i = 0; i < READS; i++) {
            s += v.values[i];
        }
        return s;
    }

    @Test
    void anElementLoopDequantizesTheFieldOnceEvenOverTheBudget() {
        // 300,000 floats (1.2 MB): over the 1 MiB budget of the budget:1m execution, within the others' caches.
        Vector v = new Vector(300_000, 31);
        v.quantizeWeights();
        long before = Status.number("dequantizations");
        elementLoop(v);
        long dequantized = Status.number("dequantizations") - before;
        if (Status.caching()) {
            assertEquals(1, dequantized, READS + " element reads with cache=" + Status.expectedCache());
        } else {
            assertEquals(READS, dequantized, "cache=none dequantizes on every read");
            assertTrue(warned().contains(Vector.KEY), "the repeated dequantization is reported: " + warned());
        }
    }

    @Test
    void twoFieldsReadInTurnThatDoNotFitTogetherAreNotEvictedByEachOther() {
        // 150,000 floats each (600 KB): one fits the 1 MiB budget of the budget:1m execution, the two together do not.
        Vector a = new Vector(150_000, 32);
        Vector b = new Vector(150_000, 33);
        a.quantizeWeights();
        b.quantizeWeights();
        long before = Status.number("dequantizations");
        float s = 0;
        for (int i = 0; i < READS; i++) {
            s += a.values[i] * b.values[i];
        }
        long dequantized = Status.number("dequantizations") - before;
        assertEquals(Status.caching() ? 2 : 2 * READS, dequantized, "with cache=" + Status.expectedCache());
        assertTrue(Float.isFinite(s));
    }

    @Test
    void overTheBudgetInAFreshJvmTheLoopDequantizesOnceAndNothingIsWarned() throws Exception {
        ChildJvm.Result r = run("cache=budget:64k", 100_000, 5000);
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(1, number(r.stdout(), "loop0.dequantizations"), r.describe());
        assertEquals(
                0,
                number(r.stdout(), "loop1.dequantizations"),
                "the pinned array serves the second loop: " + r.describe());
        assertTrue(r.stdout().contains("loop0.sameSum=true") && r.stdout().contains("warned=[]"), r.describe());
    }

    @Test
    void withoutACacheTheRepeatedDequantizationIsWarnedAboutOnceNamingTheFieldAndTheFix() throws Exception {
        ChildJvm.Result r = run("cache=none", 1000, 1000);
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(1000, number(r.stdout(), "loop0.dequantizations"), r.describe());
        assertEquals(1000, number(r.stdout(), "loop1.dequantizations"), r.describe());
        List<String> warnings =
                r.stderr().lines().filter(l -> l.contains("times in a row")).toList();
        assertEquals(1, warnings.size(), "one warning for 2000 dequantizations: " + r.describe());
        String w = warnings.getFirst();
        assertTrue(w.startsWith("[quant4j-agent] WARNING field " + Vector.KEY), w);
        assertTrue(w.contains("read it once into a local before the loop: float[] values = this.values;"), w);
        assertTrue(r.stdout().contains("warned=[" + Vector.KEY + "]"), r.describe());
    }

    private static ChildJvm.Result run(String options, int n, int reads) throws Exception {
        return ChildJvm.run(
                List.of("--add-modules", "jdk.incubator.vector", "-javaagent:" + ChildJvm.agentJar() + "=" + options),
                ChildJvm.testClassPath(),
                LoopReadMain.class.getName(),
                List.of(Integer.toString(n), Integer.toString(reads)),
                120);
    }

    private static long number(String out, String key) {
        Matcher m = Pattern.compile("^" + Pattern.quote(key) + "=(\\d+)$", Pattern.MULTILINE)
                .matcher(out);
        if (!m.find()) {
            throw new AssertionError("no " + key + " in\n" + out);
        }
        return Long.parseLong(m.group(1));
    }

    @SuppressWarnings("unchecked")
    private static List<String> warned() {
        return (List<String>) QuantizedFields.status().get("repeatedDequantizationWarnings");
    }
}
