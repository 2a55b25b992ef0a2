package dev.quant4j.agent.transform;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the transformer did, for the status call: classes rewritten, classes it could not rewrite, time spent. */
public final class TransformRecord {
    private final Map<String, String> rewritten = new ConcurrentHashMap<>();
    private final Map<String, String> failed = new ConcurrentHashMap<>();
    private final LongAdder classesSeen = new LongAdder();
    private final LongAdder classesParsed = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    void seen(long elapsedNanos) {
        classesSeen.increment();
        nanos.add(elapsedNanos);
    }

    void parsed() {
        classesParsed.increment();
    }

    void rewritten(String className, String summary) {
        rewritten.put(className, summary);
    }

    void failed(String className, String reason) {
        failed.put(className, reason);
    }

    /** Binary class name to the number of hooked reads and writes, sorted by name. */
    public Map<String, String> rewrittenClasses() {
        return new TreeMap<>(rewritten);
    }

    /** Binary class name to why it was left unmodified, sorted by name. */
    public Map<String, String> failedClasses() {
        return new TreeMap<>(failed);
    }

    /** Classes offered to the transformer (after the exclusions). */
    public long classesSeen() {
        return classesSeen.sum();
    }

    /** Classes that passed the constant-pool scan and were parsed. */
    public long classesParsed() {
        return classesParsed.sum();
    }

    /** Total time spent in the transformer. */
    public long transformNanos() {
        return nanos.sum();
    }
}
