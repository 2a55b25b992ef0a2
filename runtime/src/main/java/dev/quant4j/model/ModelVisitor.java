package dev.quant4j.model;

/**
 * Walks the weight fields of one model class. The annotation processor generates one per model class
 * ({@code Foo_Quantization} for {@code Foo}, {@code Outer_Inner_Quantization} for a nested class); it
 * registers itself with {@link ModelVisitors} when its class is initialized. A hand-written visitor can be
 * registered the same way for a class that cannot be annotated.
 *
 * @param <M> the model class
 */
public interface ModelVisitor<M> {
    /** The class this visitor walks. */
    Class<M> modelType();

    /**
     * Reports every weight field of {@code model} to {@code visitor}, in declaration order (inherited
     * fields first), and every nested module through {@link WeightVisitor#module}.
     *
     * @param path the model's own path: {@code ""} for the root, e.g. {@code blocks[3]} for a nested module
     */
    void visit(M model, String path, WeightVisitor visitor);
}
