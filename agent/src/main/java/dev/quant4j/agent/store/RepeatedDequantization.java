package dev.quant4j.agent.store;

import dev.quant4j.agent.AgentLog;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Notices one field dequantized again and again with nothing else dequantized in between, the signature of a loop
 * that reads a quantized field per element ({@code for (i) s += w[i]}) where each read dequantizes the whole tensor:
 * under {@code cache=none}, or when another thread keeps taking the pin. Warns once per field, naming it and the fix.
 *
 * <p>Called on every dequantization, which costs a whole tensor's worth of work; the lock here is negligible next to
 * it. Only the field key and the entry's identity hash are remembered, never the entry, so nothing is kept alive.
 */
final class RepeatedDequantization {
    /** Dequantizations of one field in a row, within {@link #WINDOW_NANOS}, that make a warning. */
    static final int THRESHOLD = 64;

    private static final long WINDOW_NANOS = 1_000_000_000L;
    private static final int MAX_WARNED = 100;

    private final String cacheText;
    private String lastKey;
    private int lastEntryHash;
    private int streak;
    private long streakStart;
    private final Set<String> warned = new LinkedHashSet<>();

    RepeatedDequantization(String cacheText) {
        this.cacheText = cacheText;
    }

    void dequantized(Entry e) {
        String key = e.slot.key();
        int entryHash = System.identityHashCode(e);
        synchronized (this) {
            long now = System.nanoTime();
            if (key.equals(lastKey) && entryHash == lastEntryHash && now - streakStart <= WINDOW_NANOS) {
                streak++;
            } else {
                lastKey = key;
                lastEntryHash = entryHash;
                streak = 1;
                streakStart = now;
            }
            if (streak != THRESHOLD || warned.size() >= MAX_WARNED || !warned.add(key)) {
                return;
            }
        }
        String name = key.substring(key.indexOf('#') + 1);
        String type = e.slot.rows() ? "float[][]" : "float[]";
        AgentLog.warn("field " + key + " of " + e.ownerDescription() + " was dequantized " + THRESHOLD
                + " times in a row (cache=" + cacheText
                + "), each time the whole tensor. If a loop reads it per element "
                + "(for (...) s += " + name + "[i]), read it once into a local before the loop: " + type + " " + name
                + " = this." + name + "; (docs/AGENT.md, \"Reading quantized fields in loops\")");
    }

    synchronized List<String> warnedFields() {
        return List.copyOf(new ArrayList<>(warned));
    }
}
