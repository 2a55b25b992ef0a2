package dev.quant4j.fields;

import dev.quant4j.tensor.QuantizedTensor;

import java.util.Map;

/**
 * The bridge between generated visitors, the Java agent's rewritten field accesses and the store of
 * quantized plain-array fields. It lives in the runtime (on the application's class path) so that
 * rewritten classes only call into code their own class loader can see.
 */
public final class QuantizedFields {
    private static volatile FieldStore store;

    private QuantizedFields() {
    }

    /** Called once by the agent at start-up. */
    public static void install(FieldStore s) {
        store = s;
    }

    /** True when the agent is active, so plain array fields can stay quantized in memory. */
    public static boolean agentActive() {
        return store != null;
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

    /** The quantized weights of a field, or null (also when the agent is not active). */
    public static QuantizedTensor quantized(Object owner, String fieldKey) {
        FieldStore s = store;
        return s == null ? null : s.quantized(owner, fieldKey);
    }

    /** The agent's status (see {@link FieldStore#status}); {@code {agentActive=false}} without the agent. */
    public static Map<String, Object> status() {
        FieldStore s = store;
        return s == null ? Map.of("agentActive", false) : s.status();
    }
}
