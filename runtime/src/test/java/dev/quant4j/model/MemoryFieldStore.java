package dev.quant4j.model;

import dev.quant4j.fields.FieldStore;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.tensor.QuantizedTensor;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Stands in for the agent's field store in tests: keeps quantized data per (owner, field key). Reads are
 * not rewritten in tests, so {@link #read} is never called by model code here.
 */
final class MemoryFieldStore implements FieldStore, AutoCloseable {
    private final Map<Object, Map<String, QuantizedTensor>> data = new IdentityHashMap<>();
    int writes;

    static MemoryFieldStore install() {
        MemoryFieldStore s = new MemoryFieldStore();
        QuantizedFields.install(s);
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
        writes++;
        Map<String, QuantizedTensor> m = data.get(owner);
        if (m != null) {
            m.remove(fieldKey);
        }
    }

    synchronized int size() {
        return data.values().stream().mapToInt(Map::size).sum();
    }

    @Override
    public void close() {
        QuantizedFields.install(null);
    }
}
