package dev.quant4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.it.memory.MemoryClaimMain;
import dev.quant4j.testkit.ChildJvm;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The memory claim, in fresh JVMs: a model of 50.3 M weights (48 layers of 2^20) keeps only its packed form
 * plus at most the cache budget, and it runs in a heap where the float32 model cannot even be built.
 */
class MemoryClaimTest {
    private static final int LAYERS = 48;
    private static final int PER_LAYER = 1 << 20;
    private static final long MIB = 1 << 20;
    /** 160 MiB: the float32 weights alone take 192 MiB. */
    private static final String HEAP = "-Xmx160m";

    private static final long BUDGET = 16 * MIB;
    /** Fixed heap cost besides the packed bytes: per-layer objects, entries, store tables. Well under 1 MiB in practice. */
    private static final long SLACK = 4 * MIB;

    private static Map<String, Long> figures(ChildJvm.Result r) {
        Map<String, Long> f = new HashMap<>();
        for (String line : r.stdout().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("checksum")) {
                f.put(
                        line.substring(0, eq),
                        Long.parseLong(line.substring(eq + 1).strip()));
            }
        }
        return f;
    }

    @Test
    void aQuantizedModelTakesItsPackedSizePlusAtMostTheBudget() throws Exception {
        ChildJvm.Result r = ChildJvm.run(
                List.of(
                        HEAP,
                        "-XX:+UseSerialGC",
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-javaagent:" + ChildJvm.agentJar() + "=cache=budget:16m"),
                ChildJvm.testClassPath(),
                MemoryClaimMain.class.getName(),
                List.of("quantize", String.valueOf(LAYERS), String.valueOf(PER_LAYER), "q8s"),
                300);
        assertEquals(0, r.exitCode(), r.describe());
        Map<String, Long> f = figures(r);
        long weights = f.get("weights");
        long packed = f.get("packedBytes");
        long afterQuantize = f.get("heapAfterQuantize");
        long afterReads = f.get("heapAfterReads");
        System.out.println("memory claim (q8s, " + weights + " weights): float32 " + f.get("float32Bytes")
                + " B, packed "
                + packed + " B, heap after quantize+GC " + afterQuantize + " B, after reading every layer "
                + afterReads + " B, cache " + f.get("cachedBytes") + " B of " + f.get("budgetBytes") + " B, released "
                + "when the model is dropped " + f.get("heapReleasedWithModel") + " B");

        assertTrue(weights >= 50_000_000L);
        assertEquals(BUDGET, f.get("budgetBytes"));
        // q8s per tensor: one byte per weight plus one scale per layer.
        assertEquals(weights + 4L * LAYERS, packed);
        // Both ways of measuring carry some noise from the JVM's own objects (class loading, JIT): +-SLACK.
        assertTrue(afterQuantize >= packed - SLACK, "the packed data must be on the heap: " + afterQuantize);
        assertTrue(
                afterQuantize <= packed * 1.02 + SLACK,
                "after quantize + GC the heap holds " + afterQuantize + " B for " + packed + " packed bytes");
        long cached = f.get("cachedBytes");
        assertTrue(cached <= BUDGET, "cache " + cached + " over budget " + BUDGET);
        assertTrue(
                afterReads <= packed * 1.02 + BUDGET + SLACK,
                "after reading every layer the heap holds " + afterReads + " B: packed " + packed + " + budget "
                        + BUDGET);
        long released = f.get("heapReleasedWithModel");
        assertTrue(
                Math.abs(released - (packed + cached)) <= packed * 0.02 + SLACK,
                "dropping the model released " + released + " B; it held " + packed + " packed + " + cached
                        + " cached");
    }

    @Test
    void theSameModelInFloat32DoesNotFitThatHeap() throws Exception {
        ChildJvm.Result r = ChildJvm.run(
                List.of(HEAP, "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector"),
                ChildJvm.testClassPath(),
                MemoryClaimMain.class.getName(),
                List.of("float32", String.valueOf(LAYERS), String.valueOf(PER_LAYER), "q8s"),
                300);
        assertNotEquals(0, r.exitCode(), r.describe());
        assertTrue(r.stderr().contains("OutOfMemoryError"), r.describe());
    }
}
