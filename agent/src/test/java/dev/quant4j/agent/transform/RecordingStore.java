package dev.quant4j.agent.transform;

import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.List;

/** Records what the hooks see; a read of a null field answers with {@link #substitute}. */
final class RecordingStore implements FieldStore {
    /** {@code fieldAtHook}: for a write, what the field held when the hook ran (read by reflection). */
    record Call(String kind, Object owner, Object value, String key, Object fieldAtHook) {}

    final List<Call> calls = new ArrayList<>();
    Object substitute;

    @Override
    public synchronized Object read(Object owner, Object raw, String fieldKey) {
        calls.add(new Call("read", owner, raw, fieldKey, null));
        return raw == null ? substitute : raw;
    }

    @Override
    public synchronized void write(Object owner, Object value, String fieldKey) {
        calls.add(new Call("write", owner, value, fieldKey, fieldValue(owner, fieldKey)));
    }

    private static Object fieldValue(Object owner, String fieldKey) {
        if (owner == null) {
            return null;
        }
        String name = fieldKey.substring(fieldKey.indexOf('#') + 1);
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(owner);
            } catch (NoSuchFieldException e) {
                // declared higher up
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no field " + fieldKey);
    }

    @Override
    public synchronized void cloned(Object original, Object copy) {
        calls.add(new Call("cloned", original, copy, null, null));
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
