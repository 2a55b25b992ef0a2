package dev.quant4j.fields.internal;

import dev.quant4j.errors.AgentNotActiveException;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.lang.invoke.MethodHandles;

/**
 * Not API: the bridge between the model layer, the Java agent's rewritten field accesses and the store of
 * quantized plain-array fields. The agent installs its store here and the bytecode it rewrites calls the static
 * hooks below from the application's own classes; users call {@link dev.quant4j.fields.QuantizedFields} instead.
 * It lives in the runtime (on the application's class path) so that rewritten classes only call into code their
 * own class loader can see. The names and descriptors are a contract with the agent
 * ({@code FieldAccessRewriter.HOOKS}): they change only together with it.
 */
public final class FieldHooks {
    private static volatile FieldStore store;

    private FieldHooks() {}

    /** Called once by the agent at start-up. */
    public static void install(FieldStore s) {
        store = s;
    }

    /** The installed store, or null without the agent. */
    public static FieldStore store() {
        return store;
    }

    /** The installed store; throws with the two fixes when the agent is not active. */
    public static FieldStore requireStore(String fieldPath) {
        FieldStore s = store;
        if (s == null) {
            throw new AgentNotActiveException(fieldPath);
        }
        return s;
    }

    /** Agent hook for a rewritten GETFIELD; see {@link FieldStore#read}. */
    public static Object read(Object owner, Object raw, String fieldKey) {
        FieldStore s = store;
        return s == null ? raw : s.read(owner, raw, fieldKey);
    }

    /** Agent hook for a rewritten PUTFIELD; see {@link FieldStore#write}. */
    public static void write(Object owner, Object value, String fieldKey) {
        FieldStore s = store;
        if (s != null) {
            s.write(owner, value, fieldKey);
        }
    }

    /** Agent hook after a rewritten {@code super.clone()}; returns the copy. See {@link FieldStore#cloned}. */
    public static Object cloned(Object original, Object copy) {
        FieldStore s = store;
        if (s != null && copy != null && original != null && copy != original) {
            s.cloned(original, copy);
        }
        return copy;
    }

    /**
     * Agent hook: the {@code writeObject} the agent adds to a class that declares {@code @Quantize} fields. Writes
     * the class's serializable fields as default serialization would, with quantized fields dequantized, so the
     * stream holds the weights in the form the class has without the agent.
     *
     * @param lookup a lookup of the class being serialized (its own {@code MethodHandles.lookup()}), for its fields
     */
    public static void writeObject(Object owner, ObjectOutputStream out, MethodHandles.Lookup lookup)
            throws IOException {
        FieldSerialization.writeFields(owner, out, lookup);
    }

    /** Agent hook: stands for {@code out.defaultWriteObject()} in a class's own writeObject; see {@link #writeObject}. */
    public static void defaultWriteObject(ObjectOutputStream out, Object owner, MethodHandles.Lookup lookup)
            throws IOException {
        FieldSerialization.writeFields(owner, out, lookup);
    }
}
