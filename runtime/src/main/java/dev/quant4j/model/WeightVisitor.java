package dev.quant4j.model;

/**
 * Receives the weight fields of a model as a generated {@link ModelVisitor} walks it.
 * {@link Quantization#visit} drives one over a whole model.
 */
@FunctionalInterface
public interface WeightVisitor {
    /** One weight field: annotated {@code @Quantize} (its scheme is set) or plain state (scheme null). */
    void weight(WeightField field);

    /**
     * A nested module at {@code path} (null when the field holds null). The default walks into it with the
     * visitor registered for its runtime class; override to skip modules or to note where they start.
     */
    default void module(String path, Object module) {
        if (module != null) {
            ModelVisitors.visit(module, path, this);
        }
    }
}
