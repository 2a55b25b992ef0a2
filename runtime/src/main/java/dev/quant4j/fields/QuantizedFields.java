package dev.quant4j.fields;

import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.fields.internal.FieldStore;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.Map;

/**
 * What a program asks about plain-array weight fields kept quantized by the Java agent: whether the agent is
 * active, a field's weights (quantized, or dequantized as a rewritten read sees them), and the agent's status. The hooks the agent and the generated code call
 * are not here but in {@code dev.quant4j.fields.internal}, which is not API.
 */
public final class QuantizedFields {
    private QuantizedFields() {}

    /** True when the agent is active, so plain array fields can stay quantized in memory. */
    public static boolean agentActive() {
        return FieldHooks.store() != null;
    }

    /**
     * A field's weights as a rewritten read of it would see them: dequantized when the agent holds quantized data
     * for it, else {@code raw}. For code whose reads the agent does not rewrite (reflection, method handles,
     * serializers that read fields directly): {@code read(owner, null, "pkg.Class#field")}.
     */
    public static Object read(Object owner, Object raw, String fieldKey) {
        return FieldHooks.read(owner, raw, fieldKey);
    }

    /** The quantized weights of a field, or null (also when the agent is not active). */
    public static QuantizedTensor quantized(Object owner, String fieldKey) {
        FieldStore s = FieldHooks.store();
        return s == null ? null : s.quantized(owner, fieldKey);
    }

    /**
     * The agent's status (what it is set up with, the classes it rewrote or could not rewrite, what its cache
     * holds); {@code {agentActive=false}} without the agent.
     */
    public static Map<String, Object> status() {
        FieldStore s = FieldHooks.store();
        return s == null ? Map.of("agentActive", false) : s.status();
    }
}
