package dev.quant4j.examples.minilm;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Live heap, measured the plain way: run full collections ({@code System.gc()}, a full, compacting
 * collection with G1 unless {@code -XX:+DisableExplicitGC} or {@code ExplicitGCInvokesConcurrent} is
 * set) until the used heap stops shrinking, then read {@link MemoryMXBean#getHeapMemoryUsage()}. The
 * difference of two such readings is what the objects created in between keep alive, give or take a
 * few kilobytes of JVM bookkeeping; the model sizes measured with it are megabytes.
 */
final class HeapMeter {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapMeter() {
    }

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
