package dev.quant4j.model;

import java.util.List;

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

    /**
     * The nested modules of array field {@code field} of the module at {@code path}: each element, null
     * ones included, goes to {@link #module} with the path {@code path.field[i]}. A null array has none.
     */
    default void modules(String path, String field, Object[] modules) {
        if (modules != null) {
            for (int i = 0; i < modules.length; i++) {
                module(ModelPaths.element(path, field, i), modules[i]);
            }
        }
    }

    /** The nested modules of list field {@code field}; see {@link #modules(String, String, Object[])}. */
    default void modules(String path, String field, List<?> modules) {
        if (modules != null) {
            for (int i = 0; i < modules.size(); i++) {
                module(ModelPaths.element(path, field, i), modules.get(i));
            }
        }
    }
}
