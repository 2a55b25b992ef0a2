package dev.quant4j.fields.internal;

import dev.quant4j.tensor.QuantizedTensor;
import java.util.Map;

/**
 * Where the quantized form of plain array weight fields lives while the field itself holds null.
 * The Java agent installs the implementation ({@link FieldHooks#install}); without the agent there
 * is none, and quantizing a plain array field fails fast (or runs as a simulation when asked).
 *
 * <p>A field is named by its key {@code "binary.class.Name#field"}. The value read back is
 * {@code float[]} for a rank-1 field and {@code float[][]} (rows) for a rank-2 field.
 */
public interface FieldStore {
    /**
     * Keeps {@code q} as the weights of {@code owner}'s field, which must hold null already; a later read
     * dequantizes it. To replace floats the field still holds, use {@link #replaceWithQuantized}.
     */
    void store(Object owner, String fieldKey, QuantizedTensor q);

    /**
     * Replaces the floats {@code owner}'s field holds with their quantized form {@code q}, so that a thread reading
     * the field meanwhile gets the floats or the dequantized {@code q}, never null: the store makes {@code q}
     * visible to readers first and only then runs {@code clearField}, which writes null to the field.
     *
     * <p>This default (clear, then {@link #store}) is for stores without concurrent readers, such as test doubles;
     * the agent's store publishes first.
     */
    default void replaceWithQuantized(Object owner, String fieldKey, QuantizedTensor q, Runnable clearField) {
        clearField.run();
        store(owner, fieldKey, q);
    }

    /** The quantized weights of the field, or null when the field holds plain floats. */
    QuantizedTensor quantized(Object owner, String fieldKey);

    /**
     * What a read of the field returns: the dequantized value when quantized data is held (from the
     * cache, or dequantized now), else {@code raw}, the field's own value.
     */
    Object read(Object owner, Object raw, String fieldKey);

    /**
     * A write of the field: drops any quantized data held for it. The rewritten PUTFIELD calls it after the value is
     * in the field, so a reader never finds the field null with its quantized data gone.
     */
    void write(Object owner, Object value, String fieldKey);

    /**
     * {@code copy} was made from {@code original} by {@code Object.clone()}, which copied the fields: the copy's
     * quantized fields hold null, so it gets the original's quantized data (shared: quantized tensors are
     * immutable by contract).
     */
    default void cloned(Object original, Object copy) {}

    /**
     * What the store holds and how it was set up, for diagnostics: the agent reports whether it is active,
     * its options, the classes it rewrote or could not rewrite, and what the cache holds. Keys and values
     * are plain strings, numbers, lists and maps, so the map prints readably.
     */
    default Map<String, Object> status() {
        return Map.of("agentActive", true);
    }
}
