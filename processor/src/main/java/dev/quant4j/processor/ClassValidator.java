package dev.quant4j.processor;

import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;

/** Checks that a model class is one the generated visitor can name and reach. */
final class ClassValidator {
    private final Diagnostics diag;

    ClassValidator(Diagnostics diag) {
        this.diag = diag;
    }

    /**
     * Returns normally when {@code model} can be a model class.
     *
     * @throws AbortException after reporting why it cannot
     */
    void check(TypeElement model) {
        if (model.getKind() != ElementKind.CLASS) {
            throw diag.abort(
                    kindName(model) + " " + model.getSimpleName() + " cannot be a model class: model weights"
                            + " are instance fields that quantization replaces; declare the weights in a class",
                    model);
        }
        if (model.getNestingKind() == NestingKind.LOCAL || model.getNestingKind() == NestingKind.ANONYMOUS) {
            throw diag.abort(
                    "local class " + model.getSimpleName() + " cannot be a model class: the generated"
                            + " visitor cannot name it; move it to a top-level or member class",
                    model);
        }
        for (Element e = model; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            if (t.getModifiers().contains(Modifier.PRIVATE)) {
                throw diag.abort(
                        "model class " + model.getQualifiedName() + " is private"
                                + (t == model ? "" : " (inside " + t.getSimpleName() + ")") + ": the generated "
                                + ModelTypes.visitorName(model)
                                + " in the same package cannot reach it; make it package-private",
                        model);
            }
        }
        if (!model.getTypeParameters().isEmpty()) {
            throw diag.abort(
                    "generic model class " + model.getSimpleName() + " is not supported: the generated"
                            + " visitor names the class without type arguments; move the weights to a non-generic class",
                    model);
        }
    }

    private static String kindName(TypeElement t) {
        return switch (t.getKind()) {
            case INTERFACE -> "interface";
            case ENUM -> "enum";
            case RECORD -> "record";
            case ANNOTATION_TYPE -> "annotation type";
            default -> "type";
        };
    }
}
