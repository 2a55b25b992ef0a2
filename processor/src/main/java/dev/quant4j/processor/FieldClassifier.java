package dev.quant4j.processor;

import dev.quant4j.processor.ModelSpec.ModuleShape;
import dev.quant4j.processor.ModelSpec.WeightKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.annotation.processing.ProcessingEnvironment;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.type.WildcardType;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;

/**
 * Classifies one field of a model class: a weight (quantized or not), a nested module, or nothing the
 * visitor walks; and works out how generated code reads and writes it (directly or through accessors)
 * and its {@code @Dims} shape. Its scheme is {@link SchemeResolver}'s business.
 */
final class FieldClassifier {
    private static final Pattern POSITIVE_INT = Pattern.compile("[0-9]+");

    /** What a field is to the model. */
    sealed interface Classified permits Weight, Nested {}

    /**
     * A weight field.
     *
     * @param field    the field
     * @param kind     its declared type
     * @param quantize its {@code @Quantize}, or null for a weight that is saved and loaded but not quantized
     * @param dims     expressions of its {@code @Dims} dimensions; null when it has none
     * @param getter   an expression reading it from {@code model}
     * @param setter   a statement writing {@code value} to it
     */
    record Weight(
            VariableElement field,
            WeightKind kind,
            Attributes quantize,
            List<String> dims,
            String getter,
            String setter)
            implements Classified {
        /** The tensor's rank as the declaration gives it; -1 for a holder, which carries its own shape. */
        int rank() {
            return switch (kind) {
                case FLOAT_ARRAY -> dims == null ? 1 : dims.size();
                case FLOAT_ROWS -> 2;
                case TENSOR -> -1;
            };
        }
    }

    /** A field holding nested modules. */
    record Nested(ModelSpec.Module module) implements Classified {}

    private final Elements elements;
    private final Types types;
    private final Diagnostics diag;
    private final ModelTypes modelTypes;
    private final TypeMirror floatArray;
    private final TypeMirror floatRows;

    FieldClassifier(ProcessingEnvironment env, Diagnostics diag, ModelTypes modelTypes) {
        this.elements = env.getElementUtils();
        this.types = env.getTypeUtils();
        this.diag = diag;
        this.modelTypes = modelTypes;
        this.floatArray = types.getArrayType(types.getPrimitiveType(TypeKind.FLOAT));
        this.floatRows = types.getArrayType(floatArray);
    }

    /**
     * What field {@code f} of {@code model} is; empty when the visitor does not walk it (static, transient,
     * or neither a weight nor a module).
     *
     * @throws AbortException after reporting why the field cannot be what it is declared as
     */
    Optional<Classified> classify(TypeElement model, VariableElement f) {
        Attributes quantize = Attributes.of(f, ModelTypes.QUANTIZE);
        Attributes dims = Attributes.of(f, ModelTypes.DIMS);
        Set<Modifier> mods = f.getModifiers();
        String name = f.getSimpleName().toString();
        WeightKind kind = weightKind(f.asType());

        if (mods.contains(Modifier.STATIC)) {
            if (quantize != null) {
                diag.error(
                        "@Quantize field '" + name + "' is static: only instance fields are model weights; remove"
                                + " static (or the annotation)",
                        f,
                        quantize.mirror,
                        null);
            }
            if (dims != null) {
                diag.error(
                        "@Dims field '" + name + "' is static: only instance fields are model weights",
                        f,
                        dims.mirror,
                        null);
            }
            return Optional.empty();
        }
        if (quantize == null && mods.contains(Modifier.TRANSIENT)) {
            if (dims != null) {
                diag.error(
                        "@Dims field '" + name + "' is transient, so it is not part of the model's state;"
                                + " remove @Dims or transient",
                        f,
                        dims.mirror,
                        null);
            }
            return Optional.empty();
        }
        if (dims != null && kind != WeightKind.FLOAT_ARRAY) {
            diag.error(
                    "@Dims applies to float[] fields only, and '" + name + "' is " + f.asType()
                            + (kind == WeightKind.FLOAT_ROWS
                                    ? ": a float[][] field takes [rows, cols] from the array"
                                    : kind == WeightKind.TENSOR ? ": a QuantizableTensor carries its own shape" : "")
                            + "; remove @Dims",
                    f,
                    dims.mirror,
                    null);
        }
        if (kind == null) {
            if (quantize != null) {
                throw diag.abort(
                        "@Quantize cannot quantize field '" + name + "' of type " + f.asType() + ": use"
                                + " float[], float[][] (the rows of a matrix) or " + ModelTypes.HOLDER,
                        f,
                        quantize.mirror,
                        null);
            }
            return module(model, f).map(Nested::new);
        }
        String unannotatedFix = quantize == null ? "; or mark it transient to leave it out of the model's state" : "";
        if (mods.contains(Modifier.FINAL)) {
            throw diag.abort(
                    (quantize != null ? "@Quantize field '" : "weight field '") + name + "' is final: "
                            + (quantize != null ? "quantizing" : "importing state")
                            + " replaces its value (a plain array"
                            + " with null while the agent holds the quantized data, a holder with a new one); remove final"
                            + unannotatedFix,
                    f);
        }
        String[] access = access(model, f, true, unannotatedFix);
        List<String> dimExprs = dims == null ? null : dims(model, f, dims);
        return Optional.of(new Weight(f, kind, quantize, dimExprs, access[0], access[1]));
    }

    private WeightKind weightKind(TypeMirror t) {
        if (types.isSameType(t, floatArray)) {
            return WeightKind.FLOAT_ARRAY;
        }
        if (types.isSameType(t, floatRows)) {
            return WeightKind.FLOAT_ROWS;
        }
        if (t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) t).asElement())
                        .getQualifiedName()
                        .contentEquals(ModelTypes.HOLDER)) {
            return WeightKind.TENSOR;
        }
        return null;
    }

    private Optional<ModelSpec.Module> module(TypeElement model, VariableElement f) {
        TypeMirror t = f.asType();
        ModuleShape shape = null;
        if (t.getKind() == TypeKind.DECLARED && isModelType(t)) {
            shape = ModuleShape.SINGLE;
        } else if (t.getKind() == TypeKind.ARRAY) {
            TypeMirror c = ((ArrayType) t).getComponentType();
            if (c.getKind() == TypeKind.DECLARED && isModelType(c)) {
                shape = ModuleShape.ARRAY;
            }
        } else if (t.getKind() == TypeKind.DECLARED && isListOfModules((DeclaredType) t)) {
            shape = ModuleShape.LIST;
        }
        if (shape == null) {
            return Optional.empty();
        }
        String[] access = access(model, f, false, "; or mark it transient to leave its weights out of the model");
        return Optional.of(new ModelSpec.Module(f.getSimpleName().toString(), shape, access[0]));
    }

    private boolean isModelType(TypeMirror declared) {
        return modelTypes.isModelType((TypeElement) ((DeclaredType) declared).asElement());
    }

    private boolean isListOfModules(DeclaredType t) {
        TypeElement list = elements.getTypeElement("java.util.List");
        if (list == null
                || !types.isAssignable(types.erasure(t), types.erasure(list.asType()))
                || t.getTypeArguments().size() != 1) {
            return false;
        }
        TypeMirror arg = t.getTypeArguments().get(0);
        if (arg.getKind() == TypeKind.WILDCARD) {
            arg = ((WildcardType) arg).getExtendsBound();
        }
        return arg != null && arg.getKind() == TypeKind.DECLARED && isModelType(arg);
    }

    // ---------------------------------------------------------------------------------------------
    // Accessors

    /**
     * How the generated code reads and writes field {@code f}: {@code {getter, setter}} expressions, direct
     * for a non-private field, through JavaBeans accessors for a private one.
     *
     * @throws AbortException after reporting that a private field lacks its accessors
     */
    private String[] access(TypeElement model, VariableElement f, boolean needsSetter, String extraFix) {
        String name = f.getSimpleName().toString();
        if (!f.getModifiers().contains(Modifier.PRIVATE)) {
            return new String[] {"model." + name, "model." + name + " = value"};
        }
        String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        ExecutableElement getter = accessor(model, "get" + cap, f.asType(), null);
        ExecutableElement setter =
                needsSetter ? accessor(model, "set" + cap, types.getNoType(TypeKind.VOID), f.asType()) : null;
        if (getter == null || (needsSetter && setter == null)) {
            String type = typeText(f.asType());
            String wanted = needsSetter ? "get" + cap + "() and set" + cap + "(" + type + ")" : "get" + cap + "()";
            throw diag.abort(
                    "field '" + name + "' is private and the generated " + ModelTypes.visitorName(model)
                            + " (same package) cannot reach it: add non-private accessors " + wanted
                            + ", or make the field"
                            + " package-private" + extraFix,
                    f);
        }
        return new String[] {"model.get" + cap + "()", "model.set" + cap + "(value)"};
    }

    private ExecutableElement accessor(TypeElement model, String name, TypeMirror returns, TypeMirror parameter) {
        for (ExecutableElement m : ElementFilter.methodsIn(elements.getAllMembers(model))) {
            if (!m.getSimpleName().contentEquals(name)
                    || m.getModifiers().contains(Modifier.STATIC)
                    || !reachable(model, m)) {
                continue;
            }
            boolean params = parameter == null
                    ? m.getParameters().isEmpty()
                    : m.getParameters().size() == 1
                            && types.isSameType(m.getParameters().get(0).asType(), parameter);
            boolean ret = returns.getKind() == TypeKind.VOID || types.isSameType(m.getReturnType(), returns);
            if (params && ret) {
                return m;
            }
        }
        return null;
    }

    /** True when generated code in {@code model}'s package can use member {@code m}. */
    private boolean reachable(TypeElement model, Element m) {
        Set<Modifier> mods = m.getModifiers();
        if (mods.contains(Modifier.PRIVATE)) {
            return false;
        }
        return mods.contains(Modifier.PUBLIC) || elements.getPackageOf(m).equals(elements.getPackageOf(model));
    }

    private static String typeText(TypeMirror t) {
        String s = t.toString();
        return s.startsWith("dev.quant4j.model.") ? s.substring("dev.quant4j.model.".length()) : s;
    }

    // ---------------------------------------------------------------------------------------------
    // @Dims

    /**
     * The expressions of {@code f}'s {@code @Dims} entries, outermost first.
     *
     * @throws AbortException after reporting every entry that is not a size or a readable int field
     */
    private List<String> dims(TypeElement model, VariableElement f, Attributes dims) {
        AnnotationValue value = dims.value("value");
        List<String> entries = dims.strings("value");
        if (entries.isEmpty()) {
            throw diag.abort(
                    "@Dims on '" + f.getSimpleName() + "' names no dimension: give the shape outermost"
                            + " first, e.g. @Dims({\"rows\", \"cols\"})",
                    f,
                    dims.mirror,
                    value);
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (String d : entries) {
            String expr = dim(model, d);
            if (expr == null) {
                ok = false;
                diag.error(
                        "@Dims entry '" + d + "' on '" + f.getSimpleName() + "' is neither a positive integer nor"
                                + " an int field of " + model.getSimpleName()
                                + " that the generated visitor can read: name"
                                + " a non-private int field (or a private one with an int getter), or write the size,"
                                + " e.g. \"384\"",
                        f,
                        dims.mirror,
                        value);
            }
            out.add(expr);
        }
        if (!ok) {
            throw new AbortException();
        }
        return out;
    }

    private String dim(TypeElement model, String d) {
        if (POSITIVE_INT.matcher(d).matches()) {
            return d.length() <= 9 && Integer.parseInt(d) > 0 ? d : null;
        }
        for (VariableElement v : ElementFilter.fieldsIn(elements.getAllMembers(model))) {
            if (!v.getSimpleName().contentEquals(d) || v.asType().getKind() != TypeKind.INT) {
                continue;
            }
            boolean own = v.getEnclosingElement().equals(model);
            if (v.getModifiers().contains(Modifier.STATIC)) {
                TypeElement owner = (TypeElement) v.getEnclosingElement();
                return own || reachable(model, v)
                        ? modelTypes.typeRef(owner, modelTypes.packageOf(model)) + "." + d
                        : null;
            }
            if (!v.getModifiers().contains(Modifier.PRIVATE) && (own || reachable(model, v))) {
                return "model." + d;
            }
            String getter = "get" + Character.toUpperCase(d.charAt(0)) + d.substring(1);
            return accessor(model, getter, types.getPrimitiveType(TypeKind.INT), null) != null
                    ? "model." + getter + "()"
                    : null;
        }
        return null;
    }

    /** Reports {@code @Dims} on a field of a class that is not a model class. */
    void checkStrayDims(VariableElement f) {
        Attributes dims = Attributes.of(f, ModelTypes.DIMS);
        diag.error(
                "@Dims on '" + f.getSimpleName() + "' has no effect: "
                        + f.getEnclosingElement().getSimpleName()
                        + " is not a model class (no @Quantize field, @QuantModule or @QuantizeDefaults); mark the class"
                        + " @QuantModule to make its weights part of the model, or remove @Dims",
                f,
                dims.mirror,
                null);
    }
}
