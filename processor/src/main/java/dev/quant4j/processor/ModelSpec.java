package dev.quant4j.processor;

import java.util.List;

/**
 * What the generated visitor of one model class does, worked out and checked by {@link ModelAnalyzer}:
 * plain data, so that {@link VisitorWriter} only formats it.
 *
 * @param qualifiedName the model's canonical name, for comments
 * @param packageName   the model's package ({@code ""} for the unnamed package)
 * @param visitorName   the generated class's simple name, e.g. {@code Outer_Inner_Quantization}
 * @param modelRef      how the generated code names the model type
 * @param superRef      how it names a model superclass whose visitor walks the inherited fields; or null
 * @param members       the fields to visit, in declaration order
 */
record ModelSpec(
        String qualifiedName,
        String packageName,
        String visitorName,
        String modelRef,
        String superRef,
        List<Member> members) {

    /** One visited field. */
    sealed interface Member permits Weight, Module {
        String name();
    }

    /** How a weight field is declared. */
    enum WeightKind {
        FLOAT_ARRAY("float[]", "floatArray"),
        FLOAT_ROWS("float[][]", "floatRows"),
        TENSOR("QuantizableTensor", "tensor");

        final String javaType;
        final String factory;

        WeightKind(String javaType, String factory) {
            this.javaType = javaType;
            this.factory = factory;
        }
    }

    /**
     * A weight field.
     *
     * @param name           the field's name
     * @param kind           its declared type
     * @param schemeConstant the name of the generated scheme constant; null for an unannotated field
     * @param schemeInit     the constant's initializer expression
     * @param schemeText     the scheme's canonical text
     * @param annotation     the annotation as written, for the comment
     * @param fieldKey       {@code binary.Name#field}, the agent's key
     * @param dims           expressions of the {@code @Dims} dimensions; null when there are none
     * @param getter         an expression reading the field from {@code model}
     * @param setter         a statement writing {@code value} to the field of {@code model}
     */
    record Weight(
            String name,
            WeightKind kind,
            String schemeConstant,
            String schemeInit,
            String schemeText,
            String annotation,
            String fieldKey,
            List<String> dims,
            String getter,
            String setter)
            implements Member {}

    /** How a nested module field holds its modules. */
    enum ModuleShape {
        SINGLE,
        ARRAY,
        LIST
    }

    /**
     * A nested module field.
     *
     * @param name   the field's name
     * @param shape  one module, an array of them, or a list
     * @param getter an expression reading the field from {@code model}
     */
    record Module(String name, ModuleShape shape, String getter) implements Member {}
}
