package dev.quant4j.examples.minilm.demo;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Live heap, measured the plain way: run full collections ({@code System.gc()}, a full, compacting
 * collection unless {@code -XX:+DisableExplicitGC} or {@code ExplicitGCInvokesConcurrent} is set) until
 * the used heap stops shrinking, then read {@link MemoryMXBean#getHeapMemoryUsage()}. The difference of
 * two such readings is what the objects created in between keep alive, give or take a few kilobytes of
 * JVM bookkeeping; the model sizes measured with it are megabytes.
 *
 * <p>{@code ./quant4j demo} runs with ParallelGC, whose used heap after a full collection is exactly the
 * live objects. Under G1 (the default collector) an array larger than half a region occupies whole
 * regions, so the same model reads larger (the float32 model about 110 MiB instead of 86).
 */
final class HeapMeter {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapMeter() {}

    /** Used heap in bytes after collecting all garbage. */
    static long liveHeap() {
        long previous = Long.MAX_VALUE;
        long used = usedAfterGc();
        // A collection can free objects whose finalisation or reference processing the previous one only started.
        for (int i = 0; i < 5 && used < previous - 64 * 1024; i++) {
            previous = used;
            used = usedAfterGc();
        }
        return used;
    }

    private static long usedAfterGc() {
        System.gc();
        return MEMORY.getHeapMemoryUsage().getUsed();
    }
}
