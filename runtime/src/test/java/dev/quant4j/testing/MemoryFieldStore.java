package dev.quant4j.testing;

import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Stands in for the agent's field store in tests: keeps quantized data per (owner, field key). Reads are
 * not rewritten in tests, so {@link #read} is never called by model code here.
 *
 * <p>It lives in runtime's test-jar, which the processor's tests depend on: a fixtures module would have to
 * depend on the runtime (for {@link FieldStore}), and then the runtime's own tests could not use it.
 */
public final class MemoryFieldStore implements FieldStore, AutoCloseable {
    private final IdentityHashMap<Object, Map<String, QuantizedTensor>> data = new IdentityHashMap<>();

    /** A new store, installed as the process's field store until {@link #close}. */
    public static MemoryFieldStore install() {
        MemoryFieldStore s = new MemoryFieldStore();
        FieldHooks.install(s);
        return s;
    }

    @Override
    public synchronized void store(Object owner, String fieldKey, QuantizedTensor q) {
        data.computeIfAbsent(owner, o -> new java.util.HashMap<>()).put(fieldKey, q);
    }

    @Override
    public synchronized QuantizedTensor quantized(Object owner, String fieldKey) {
        Map<String, QuantizedTensor> m = data.get(owner);
        return m == null ? null : m.get(fieldKey);
    }

    @Override
    public Object read(Object owner, Object raw, String fieldKey) {
        throw new AssertionError("no rewritten reads in these tests");
    }

    @Override
    public synchronized void write(Object owner, Object value, String fieldKey) {
        Map<String, QuantizedTensor> m = data.get(owner);
        if (m != null) {
            m.remove(fieldKey);
        }
    }

    /** How many (owner, field) pairs hold quantized data. */
    public synchronized int size() {
        return data.values().stream().mapToInt(Map::size).sum();
    }

    @Override
    public void close() {
        FieldHooks.install(null);
    }
}
