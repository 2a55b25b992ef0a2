package dev.quant4j.agent.transform;

import dev.quant4j.fields.FieldStore;
import dev.quant4j.tensor.QuantizedTensor;

import java.util.ArrayList;
import java.util.List;

/** Records what the hooks see; a read of a null field answers with {@link #substitute}. */
final class RecordingStore implements FieldStore {
    record Call(String kind, Object owner, Object value, String key) {
    }

    final List<Call> calls = new ArrayList<>();
    Object substitute;

    @Override
    public synchronized Object read(Object owner, Object raw, String fieldKey) {
        calls.add(new Call("read", owner, raw, fieldKey));
        return raw == null ? substitute : raw;
    }

    @Override
    public synchronized void write(Object owner, Object value, String fieldKey) {
        calls.add(new Call("write", owner, value, fieldKey));
    }

    @Override
    public void store(Object owner, String fieldKey, QuantizedTensor q) {
        throw new UnsupportedOperationException();
    }

    @Override
    public QuantizedTensor quantized(Object owner, String fieldKey) {
        return null;
    }
}
