package dev.quant4j.processor;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.processor.ModelSpec.Member;
import dev.quant4j.processor.ModelSpec.ModuleShape;
import dev.quant4j.processor.ModelSpec.WeightKind;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeParseException;
import dev.quant4j.scheme.SchemeProblem;

import javax.annotation.processing.ProcessingEnvironment;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks one model class and works out its {@link ModelSpec}. Every problem is reported through
 * {@link Diagnostics} at the annotation value at fault; scheme problems come from the runtime's own
 * {@link QuantScheme#problems()}, so the compiler and the runtime never disagree.
 */
final class ModelAnalyzer {
    static final String QUANTIZE = "dev.quant4j.annotations.Quantize";
    static final String DEFAULTS = "dev.quant4j.annotations.QuantizeDefaults";
    static final String MODULE = "dev.quant4j.annotations.QuantModule";
    static final String DIMS = "dev.quant4j.annotations.Dims";
    static final String CONFIG = "dev.quant4j.annotations.QuantizationConfig";
    static final String HOLDER = "dev.quant4j.model.QuantizableTensor";

    /** Simple names the generated file imports; a model named like one of them is written qualified. */
    static final Set<String> IMPORTED = Set.of("Generated", "ModelVisitor", "ModelVisitors", "QuantScheme",
            "WeightField", "WeightVisitor", "ModelPaths");

    private static final Pattern LN_PREFIX = Pattern.compile("ln([_0-9A-Z].*)?");
    private static final Pattern POSITIVE_INT = Pattern.compile("[0-9]+");

    /** The outcome for one class. */
    record Result(ModelSpec spec, boolean deferred) {
    }

    private final Elements elements;
    private final Types types;
    private final Diagnostics diag;
    private final SchemeNames names;
    private final TypeMirror floatArray;
    private final TypeMirror floatRows;
    private final Map<TypeElement, Boolean> moduleTypes = new HashMap<>();

    ModelAnalyzer(ProcessingEnvironment env, Diagnostics diag) {
        this.elements = env.getElementUtils();
        this.types = env.getTypeUtils();
        this.diag = diag;
        this.names = new SchemeNames(elements);
        this.floatArray = types.getArrayType(types.getPrimitiveType(TypeKind.FLOAT));
        this.floatRows = types.getArrayType(floatArray);
    }

    /**
     * True when {@code type} is walked as a model: it or a superclass has a {@code @Quantize} field or is
     * marked {@code @QuantModule} or {@code @QuantizeDefaults}. Works for classes from the class path too.
     */
    boolean isModelType(TypeElement type) {
        Boolean known = moduleTypes.get(type);
        if (known != null) {
            return known;
        }
        boolean model = false;
        for (TypeElement c = type; c != null && !model; c = superclassOf(c)) {
            model = Attributes.of(c, MODULE) != null || Attributes.of(c, DEFAULTS) != null;
            for (VariableElement f : ElementFilter.fieldsIn(c.getEnclosedElements())) {
                model |= Attributes.of(f, QUANTIZE) != null;
            }
        }
        moduleTypes.put(type, model);
        return model;
    }

    private TypeElement superclassOf(TypeElement c) {
        TypeMirror s = c.getSuperclass();
        if (s.getKind() != TypeKind.DECLARED) {
            return null;
        }
        TypeElement t = (TypeElement) ((DeclaredType) s).asElement();
        return t.getQualifiedName().contentEquals("java.lang.Object") ? null : t;
    }

    /** Checks {@code model} and returns its spec; a null spec means errors were reported (or it is deferred). */
    Result analyze(TypeElement model) {
        int errorsBefore = diag.errorCount();
        if (!checkClass(model)) {
            return new Result(null, false);
        }
        for (VariableElement f : ElementFilter.fieldsIn(model.getEnclosedElements())) {
            if (f.asType().getKind() == TypeKind.ERROR) {
                // A type another processor generates later in this compilation; try again next round.
                return new Result(null, true);
            }
        }
        String pkg = elements.getPackageOf(model).getQualifiedName().toString();
        Defaults defaults = defaults(model);
        List<Member> members = new ArrayList<>();
        Set<String> constants = new HashSet<>();
        for (VariableElement f : ElementFilter.fieldsIn(model.getEnclosedElements())) {
            Member m = field(model, pkg, defaults, f, constants);
            if (m != null) {
                members.add(m);
            }
        }
        if (diag.errorCount() != errorsBefore) {
            return new Result(null, false);
        }
        TypeElement sup = superclassOf(model);
        String superRef = sup != null && isModelType(sup) ? typeRef(sup, pkg) : null;
        return new Result(new ModelSpec(model.getQualifiedName().toString(), pkg, visitorName(model),
                typeRef(model, pkg), superRef, members), false);
    }

    /**
     * How generated code in {@code pkg} names {@code type}: relative to the package ({@code Outer.Inner}),
     * or fully qualified when it lives elsewhere or its outermost name could be taken for one of the
     * generated file's imports or a generated visitor.
     */
    private String typeRef(TypeElement type, String pkg) {
        String qualified = type.getQualifiedName().toString();
        if (pkg.isEmpty() || !elements.getPackageOf(type).getQualifiedName().contentEquals(pkg)) {
            return qualified;
        }
        String relative = qualified.substring(pkg.length() + 1);
        String outermost = relative.contains(".") ? relative.substring(0, relative.indexOf('.')) : relative;
        return IMPORTED.contains(outermost) || outermost.endsWith("_Quantization") ? qualified : relative;
    }

    /** The generated visitor's simple name: the nesting's simple names joined by {@code _}, then the suffix. */
    static String visitorName(TypeElement model) {
        StringBuilder sb = new StringBuilder(model.getSimpleName());
        for (Element e = model.getEnclosingElement(); e instanceof TypeElement t; e = e.getEnclosingElement()) {
            sb.insert(0, t.getSimpleName() + "_");
        }
        return sb + "_Quantization";
    }

    private boolean checkClass(TypeElement model) {
        if (model.getKind() != ElementKind.CLASS) {
            diag.error(kindName(model) + " " + model.getSimpleName() + " cannot be a model class: model weights are"
                    + " instance fields that quantization replaces; declare the weights in a class", model);
            return false;
        }
        if (model.getNestingKind() == NestingKind.LOCAL || model.getNestingKind() == NestingKind.ANONYMOUS) {
            diag.error("local class " + model.getSimpleName() + " cannot be a model class: the generated visitor"
                    + " cannot name it; move it to a top-level or member class", model);
            return false;
        }
        for (Element e = model; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            if (t.getModifiers().contains(Modifier.PRIVATE)) {
                diag.error("model class " + model.getQualifiedName() + " is private" + (t == model ? "" : " (inside "
                        + t.getSimpleName() + ")") + ": the generated " + visitorName(model) + " in the same package"
                        + " cannot reach it; make it package-private", model);
                return false;
            }
        }
        if (!model.getTypeParameters().isEmpty()) {
            diag.error("generic model class " + model.getSimpleName() + " is not supported: the generated visitor"
                    + " names the class without type arguments; move the weights to a non-generic class", model);
            return false;
        }
        return true;
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

    // ---------------------------------------------------------------------------------------------
    // Fields

    private Member field(TypeElement model, String pkg, Defaults defaults, VariableElement f, Set<String> constants) {
        Attributes quantize = Attributes.of(f, QUANTIZE);
        Attributes dims = Attributes.of(f, DIMS);
        Set<Modifier> mods = f.getModifiers();
        String name = f.getSimpleName().toString();
        WeightKind kind = weightKind(f.asType());

        if (mods.contains(Modifier.STATIC)) {
            if (quantize != null) {
                diag.error("@Quantize field '" + name + "' is static: only instance fields are model weights; remove"
                        + " static (or the annotation)", f, quantize.mirror, null);
            }
            if (dims != null) {
                diag.error("@Dims field '" + name + "' is static: only instance fields are model weights", f,
                        dims.mirror, null);
            }
            return null;
        }
        if (quantize == null && mods.contains(Modifier.TRANSIENT)) {
            if (dims != null) {
                diag.error("@Dims field '" + name + "' is transient, so it is not part of the model's state;"
                        + " remove @Dims or transient", f, dims.mirror, null);
            }
            return null;
        }
        if (dims != null && kind != WeightKind.FLOAT_ARRAY) {
            diag.error("@Dims applies to float[] fields only, and '" + name + "' is " + f.asType()
                    + (kind == WeightKind.FLOAT_ROWS ? ": a float[][] field takes [rows, cols] from the array"
                    : kind == WeightKind.TENSOR ? ": a QuantizableTensor carries its own shape" : "")
                    + "; remove @Dims", f, dims.mirror, null);
        }
        if (kind == null) {
            if (quantize != null) {
                diag.error("@Quantize cannot quantize field '" + name + "' of type " + f.asType() + ": use float[],"
                        + " float[][] (the rows of a matrix) or " + HOLDER, f, quantize.mirror, null);
                return null;
            }
            return module(model, f);
        }
        String unannotatedFix = quantize == null ? "; or mark it transient to leave it out of the model's state" : "";
        if (mods.contains(Modifier.FINAL)) {
            diag.error((quantize != null ? "@Quantize field '" : "weight field '") + name + "' is final: "
                    + (quantize != null ? "quantizing" : "importing state") + " replaces its value (a plain array"
                    + " with null while the agent holds the quantized data, a holder with a new one); remove final"
                    + unannotatedFix, f);
            return null;
        }
        String[] access = access(model, f, true, unannotatedFix);
        if (access == null) {
            return null;
        }
        List<String> dimExprs = dims == null ? null : dims(model, f, dims);
        if (dims != null && dimExprs == null) {
            return null;
        }
        String fieldKey = elements.getBinaryName(model) + "#" + name;
        if (quantize == null) {
            return new ModelSpec.Weight(name, kind, null, null, null, null, fieldKey, dimExprs, access[0], access[1]);
        }
        int rank = switch (kind) {
            case FLOAT_ARRAY -> dimExprs == null ? 1 : dimExprs.size();
            case FLOAT_ROWS -> 2;
            case TENSOR -> -1;
        };
        Effective scheme = scheme(model, f, quantize, defaults, rank, pkg);
        if (scheme == null) {
            return null;
        }
        String constant = constantName(name, constants);
        return new ModelSpec.Weight(name, kind, constant, scheme.init, scheme.scheme.toString(), quantize.describe()
                + (scheme.origin.isEmpty() ? "" : " " + scheme.origin), fieldKey, dimExprs, access[0], access[1]);
    }

    private WeightKind weightKind(TypeMirror t) {
        if (types.isSameType(t, floatArray)) {
            return WeightKind.FLOAT_ARRAY;
        }
        if (types.isSameType(t, floatRows)) {
            return WeightKind.FLOAT_ROWS;
        }
        if (t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) t).asElement()).getQualifiedName().contentEquals(HOLDER)) {
            return WeightKind.TENSOR;
        }
        return null;
    }

    private Member module(TypeElement model, VariableElement f) {
        TypeMirror t = f.asType();
        ModuleShape shape = null;
        if (t.getKind() == TypeKind.DECLARED && isModelType((TypeElement) ((DeclaredType) t).asElement())) {
            shape = ModuleShape.SINGLE;
        } else if (t.getKind() == TypeKind.ARRAY) {
            TypeMirror c = ((ArrayType) t).getComponentType();
            if (c.getKind() == TypeKind.DECLARED && isModelType((TypeElement) ((DeclaredType) c).asElement())) {
                shape = ModuleShape.ARRAY;
            }
        } else if (t.getKind() == TypeKind.DECLARED && isListOfModules((DeclaredType) t)) {
            shape = ModuleShape.LIST;
        }
        if (shape == null) {
            return null;
        }
        String[] access = access(model, f, false, "; or mark it transient to leave its weights out of the model");
        return access == null ? null : new ModelSpec.Module(f.getSimpleName().toString(), shape, access[0]);
    }

    private boolean isListOfModules(DeclaredType t) {
        TypeElement list = elements.getTypeElement("java.util.List");
        if (list == null || !types.isAssignable(types.erasure(t), types.erasure(list.asType()))
                || t.getTypeArguments().size() != 1) {
            return false;
        }
        TypeMirror arg = t.getTypeArguments().get(0);
        if (arg.getKind() == TypeKind.WILDCARD) {
            arg = ((WildcardType) arg).getExtendsBound();
        }
        return arg != null && arg.getKind() == TypeKind.DECLARED
                && isModelType((TypeElement) ((DeclaredType) arg).asElement());
    }

    /**
     * How the generated code reads and writes field {@code f}: {@code {getter, setter}} expressions, direct
     * for a non-private field, through JavaBeans accessors for a private one; null after reporting an error.
     */
    private String[] access(TypeElement model, VariableElement f, boolean needsSetter, String extraFix) {
        String name = f.getSimpleName().toString();
        if (!f.getModifiers().contains(Modifier.PRIVATE)) {
            return new String[] {"model." + name, "model." + name + " = value"};
        }
        String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        ExecutableElement getter = accessor(model, "get" + cap, f.asType(), null);
        ExecutableElement setter = needsSetter ? accessor(model, "set" + cap, types.getNoType(TypeKind.VOID),
                f.asType()) : null;
        if (getter == null || (needsSetter && setter == null)) {
            String type = typeText(f.asType());
            String wanted = needsSetter ? "get" + cap + "() and set" + cap + "(" + type + ")" : "get" + cap + "()";
            diag.error("field '" + name + "' is private and the generated " + visitorName(model) + " (same package)"
                    + " cannot reach it: add non-private accessors " + wanted + ", or make the field package-private"
                    + extraFix, f);
            return null;
        }
        return new String[] {"model.get" + cap + "()", "model.set" + cap + "(value)"};
    }

    private ExecutableElement accessor(TypeElement model, String name, TypeMirror returns, TypeMirror parameter) {
        for (ExecutableElement m : ElementFilter.methodsIn(elements.getAllMembers(model))) {
            if (!m.getSimpleName().contentEquals(name) || m.getModifiers().contains(Modifier.STATIC)
                    || !reachable(model, m)) {
                continue;
            }
            boolean params = parameter == null ? m.getParameters().isEmpty()
                    : m.getParameters().size() == 1 && types.isSameType(m.getParameters().get(0).asType(), parameter);
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
        return mods.contains(Modifier.PUBLIC)
                || elements.getPackageOf(m).equals(elements.getPackageOf(model));
    }

    private static String typeText(TypeMirror t) {
        String s = t.toString();
        return s.startsWith("dev.quant4j.model.") ? s.substring("dev.quant4j.model.".length()) : s;
    }

    private static String constantName(String field, Set<String> taken) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(field.charAt(i - 1))) {
                sb.append('_');
            }
            sb.append(Character.toUpperCase(c));
        }
        String base = sb.append("_SCHEME").toString();
        String name = base;
        for (int n = 2; !taken.add(name); n++) {
            name = base + n;
        }
        return name;
    }

    // ---------------------------------------------------------------------------------------------
    // @Dims

    private List<String> dims(TypeElement model, VariableElement f, Attributes dims) {
        AnnotationValue value = dims.value("value");
        List<String> entries = dims.strings("value");
        if (entries.isEmpty()) {
            diag.error("@Dims on '" + f.getSimpleName() + "' names no dimension: give the shape outermost first,"
                    + " e.g. @Dims({\"rows\", \"cols\"})", f, dims.mirror, value);
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (String d : entries) {
            String expr = dim(model, d);
            if (expr == null) {
                ok = false;
                diag.error("@Dims entry '" + d + "' on '" + f.getSimpleName() + "' is neither a positive integer nor"
                        + " an int field of " + model.getSimpleName() + " that the generated visitor can read: name"
                        + " a non-private int field (or a private one with an int getter), or write the size,"
                        + " e.g. \"384\"", f, dims.mirror, value);
            }
            out.add(expr);
        }
        return ok ? out : null;
    }

    private String pkgOf(TypeElement t) {
        return elements.getPackageOf(t).getQualifiedName().toString();
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
                return own || reachable(model, v) ? typeRef(owner, pkgOf(model)) + "." + d : null;
            }
            if (!v.getModifiers().contains(Modifier.PRIVATE) && (own || reachable(model, v))) {
                return "model." + d;
            }
            String getter = "get" + Character.toUpperCase(d.charAt(0)) + d.substring(1);
            return accessor(model, getter, types.getPrimitiveType(TypeKind.INT), null) != null
                    ? "model." + getter + "()" : null;
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Schemes

    /** Where a scheme attribute's value came from, to point a diagnostic at it. */
    private record Source(Attributes attrs, String attribute) {
        Element element() {
            return attrs == null ? null : attrs.element;
        }
    }

    /** The class's {@code @QuantizeDefaults}: its attributes, its scheme text if any, and its own problems. */
    private record Defaults(Attributes attrs, QuantScheme schemeText, SchemeNames.Named named,
                            List<SchemeProblem> problems) {
    }

    /** A {@code scheme} attribute read: the scheme, and the named constant it came from (or null). */
    private record Resolved(QuantScheme scheme, SchemeNames.Named named) {
    }

    /** A field's scheme, with its generated initializer and a note on where it came from. */
    private record Effective(QuantScheme scheme, String init, String origin) {
    }

    private Defaults defaults(TypeElement model) {
        Attributes d = Attributes.of(model, DEFAULTS);
        if (d == null) {
            return new Defaults(null, null, null, List.of());
        }
        QuantScheme text = null;
        SchemeNames.Named named = null;
        if (d.has("scheme")) {
            List<String> parts = d.explicitParts();
            if (!parts.isEmpty()) {
                diag.error("conflicting defaults: @QuantizeDefaults sets scheme = \"" + d.string("scheme") + "\" and "
                        + String.join(", ", parts) + "; a scheme sets value, level, blockSize, param and store all at"
                        + " once, so give either the scheme or the attributes", model, d.mirror,
                        d.value(parts.get(0)));
                return null;
            }
            Resolved resolved = resolveText(model, d);
            if (resolved == null) {
                return null;
            }
            text = resolved.scheme();
            named = resolved.named();
        }
        Map<String, Source> origin = new HashMap<>();
        QuantScheme s = combine(null, d, text, origin);
        List<SchemeProblem> problems = s.problems();
        for (SchemeProblem p : problems) {
            Source src = origin.get(p.attribute());
            AnnotationValue v = src.attrs == null ? null : src.attrs.value(src.attribute);
            diag.error("@QuantizeDefaults: " + p.message() + "; " + p.fix(), model, d.mirror, v);
        }
        return new Defaults(d, text, named, problems);
    }

    /**
     * Reads the {@code scheme} attribute of {@code a}: scheme text, or the name of a config constant.
     * Returns null after reporting an error at the value.
     */
    private Resolved resolveText(TypeElement model, Attributes a) {
        String text = a.string("scheme");
        AnnotationValue value = a.value("scheme");
        try {
            return new Resolved(QuantScheme.parse(text), null);
        } catch (SchemeParseException parseError) {
            if (!SchemeNames.looksLikeName(text.strip())) {
                diag.error(parseError.getMessage(), a.element, a.mirror, value);
                return null;
            }
            SchemeNames.Lookup lookup = names.lookup(text.strip(), model);
            if (lookup.found() == null) {
                // An upper-case name is meant as a constant; anything else may be mistyped scheme text.
                String asText = text.strip().equals(text.strip().toUpperCase(Locale.ROOT)) ? ""
                        : " (as scheme text: " + parseError.getMessage() + ")";
                diag.error(lookup.error() + asText, a.element, a.mirror, value);
                return null;
            }
            try {
                return new Resolved(QuantScheme.parse(lookup.found().text()), lookup.found());
            } catch (SchemeParseException badConstant) {
                diag.error("scheme name '" + text + "' refers to " + lookup.found().display() + " = \""
                        + lookup.found().text() + "\", which is not a scheme: " + badConstant.getMessage(), a.element,
                        a.mirror, value);
                return null;
            }
        }
    }

    /**
     * Combines a field's explicit attributes (or scheme) with the class defaults, attribute by attribute,
     * exactly as {@link dev.quant4j.annotations.Quantize} documents it, and records where each one came
     * from.
     */
    private static QuantScheme combine(Attributes field, Attributes defaults, QuantScheme defaultsText,
                                       Map<String, Source> origin) {
        QuantScheme base = defaultsText;
        QuantValue value = QuantValue.Q8S;
        QuantLevel level = QuantLevel.TENSOR;
        int[] block = {32};
        QuantStore store = QuantStore.U32;
        QuantParam param = QuantParam.F32;
        QuantMode mode = QuantMode.SYMMETRIC;
        Calibration calibration = Calibration.MIN_MAX;
        for (String part : Attributes.SCHEME_PARTS) {
            origin.put(part, new Source(null, part));
        }
        if (base != null) {
            value = base.value();
            level = base.level();
            // A tensor-level scheme text says nothing about block extents: keep the annotation's default.
            if (level == QuantLevel.BLOCK) {
                block = base.blockSize();
            }
            store = base.store();
            param = base.param();
            for (String part : List.of("value", "level", "blockSize", "store", "param")) {
                if (!part.equals("blockSize") || level == QuantLevel.BLOCK) {
                    origin.put(part, new Source(defaults, "scheme"));
                }
            }
        }
        for (Attributes a : new Attributes[] {defaults, field}) {
            if (a == null) {
                continue;
            }
            for (String part : a.explicitParts()) {
                origin.put(part, new Source(a, part));
                switch (part) {
                    case "value" -> value = a.quantValue();
                    case "level" -> level = a.level();
                    case "blockSize" -> block = a.blockSize();
                    case "store" -> store = a.store();
                    case "param" -> param = a.param();
                    case "mode" -> mode = a.mode();
                    case "calibration" -> calibration = a.calibration();
                    default -> throw new AssertionError(part);
                }
            }
        }
        return QuantScheme.of(value, level, level == QuantLevel.BLOCK ? block : null, store, param, mode, calibration);
    }

    private Effective scheme(TypeElement model, VariableElement f, Attributes q, Defaults defaults, int rank,
                             String pkg) {
        String name = f.getSimpleName().toString();
        if (defaults == null) {
            // The class's defaults are in error (already reported): the field's scheme cannot be known.
            return null;
        }
        QuantScheme scheme;
        Map<String, Source> origin = new HashMap<>();
        SchemeNames.Named named = null;
        if (q.has("scheme")) {
            List<String> parts = q.explicitParts();
            if (!parts.isEmpty()) {
                diag.error("@Quantize on '" + name + "' sets scheme = \"" + q.string("scheme") + "\" and "
                        + String.join(", ", parts) + "; a scheme sets value, level, blockSize, param and store all at"
                        + " once, so give either the scheme or the attributes", f, q.mirror, q.value(parts.get(0)));
                return null;
            }
            Resolved resolved = resolveText(model, q);
            if (resolved == null) {
                return null;
            }
            scheme = resolved.scheme();
            named = resolved.named();
            for (String part : Attributes.SCHEME_PARTS) {
                origin.put(part, new Source(q, "scheme"));
            }
        } else {
            scheme = combine(q, defaults.attrs, defaults.schemeText, origin);
            if (q.explicitParts().isEmpty() && defaults.attrs != null && defaults.attrs.explicitParts().isEmpty()) {
                named = defaults.named;
            }
        }

        List<SchemeProblem> problems = scheme.problems();
        for (SchemeProblem p : problems) {
            Source src = origin.get(p.attribute());
            if (src.attrs != null && src.attrs == defaults.attrs && defaults.problems.contains(p)) {
                // Already reported once at the class defaults.
                continue;
            }
            report(p.message() + "; " + p.fix(), "field '" + name + "': ", f, q, src);
        }
        if (!problems.isEmpty()) {
            return null;
        }
        if (rank >= 0 && scheme.blockRank() > rank) {
            Source src = origin.get("blockSize");
            report("block " + scheme.levelToken() + " has " + scheme.blockRank() + " extents but field '" + name
                    + "' is a " + (rank == 1 ? "float[] vector (1 dimension)" : "tensor of rank " + rank) + "; "
                    + (rank == 1 ? "declare its shape with @Dims({\"rows\", \"cols\"}), or " : "")
                    + "use a block with at most " + rank + (rank == 1 ? " extent" : " extents"), "field '" + name
                    + "': ", f, q, src);
            return null;
        }
        warnings(f, q, scheme, origin);

        String init = "QuantScheme.parse(\"" + scheme + "\")";
        String from = "";
        boolean usesDefaults = defaults.attrs != null && origin.values().stream().anyMatch(o -> o.attrs == defaults.attrs);
        if (usesDefaults) {
            from = "with " + defaults.attrs.describe();
        }
        if (named != null) {
            String ref = named.reference(elements, pkg, IMPORTED);
            if (ref != null) {
                // Referencing the constant (not copying its text) lets incremental builds see the dependency.
                init = "QuantScheme.parse(" + ref + ")";
            }
            from = (from.isEmpty() ? "" : from + " ") + "= " + named.display();
        }
        return new Effective(scheme, init, from);
    }

    /** Reports at the value a scheme attribute came from: the field's annotation, or the class defaults. */
    private void report(String message, String fieldPrefix, VariableElement f, Attributes q, Source src) {
        if (src.attrs == null) {
            diag.error(message, f, q.mirror, null);
        } else if (src.attrs == q) {
            diag.error(message, f, q.mirror, q.value(src.attribute));
        } else {
            diag.error(fieldPrefix + message, src.element(), src.attrs.mirror, src.attrs.value(src.attribute));
        }
    }

    private void warn(String message, VariableElement f, Attributes q, Source src) {
        // A value from the class defaults is warned about at the field's annotation, not at the defaults, so
        // that @SuppressWarnings on the field silences it.
        diag.warning(message, f, q.mirror, src.attrs == q ? q.value(src.attribute) : null);
    }

    /** Names such as {@code bias}, {@code attnNormWeight}, {@code ln1}, {@code ln_f}, {@code gamma}. */
    static boolean looksLikeBiasOrNorm(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.contains("bias") || lower.contains("norm") || lower.equals("gamma") || lower.equals("beta")
                || LN_PREFIX.matcher(name).matches();
    }

    private void warnings(VariableElement f, Attributes q, QuantScheme s, Map<String, Source> origin) {
        String name = f.getSimpleName().toString();
        int bits = s.value().bits();
        if (bits == 2 && looksLikeBiasOrNorm(name)) {
            warn("field '" + name + "' looks like a bias or a normalization weight: 2-bit values (" + s.value()
                    + ") keep only " + (s.value().maxCode() - s.value().minCode() + 1) + " levels, which usually ruins"
                    + " these small, sensitive tensors; use Q8S or Q4S, or leave the field unquantized"
                    + " (@SuppressWarnings(\"" + Diagnostics.SUPPRESS_KEY + "\") if this is intended)", f, q,
                    origin.get("value"));
        }
        if (s.blockRank() > 0 && s.value().isSubByte() && s.store() == QuantStore.U32) {
            int inner = s.blockExtent(s.blockRank() - 1);
            int perWord = 32 / bits;
            if (inner % perWord != 0) {
                warn("block extent " + inner + " does not fill whole 32-bit words with " + bits + "-bit codes (U32"
                        + " store packs " + perWord + " per word), so blocks straddle word boundaries and fused"
                        + " kernels cannot take a block as whole words; use a multiple of " + perWord + ", e.g. "
                        + Math.max(perWord, 32), f, q, origin.get("blockSize"));
            }
        }
        if (q.has("blockSize") && !q.has("scheme") && s.level() == QuantLevel.TENSOR) {
            warn("blockSize " + Arrays.toString(q.blockSize()) + " is ignored at the tensor level: add"
                    + " level = BLOCK to quantize per block, or remove blockSize", f, q, new Source(q, "blockSize"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // @QuantizationConfig

    /** Checks every scheme constant of a config class; errors point at the constant. */
    void checkConfig(TypeElement config) {
        for (VariableElement c : SchemeNames.constants(config)) {
            Object v = c.getConstantValue();
            if (!(v instanceof String text)) {
                diag.error("scheme constant " + c.getSimpleName() + " has no compile-time value: the processor reads"
                        + " named schemes while compiling; initialize it with a string literal such as"
                        + " \"q4f:block32:f16\"", c);
                continue;
            }
            QuantScheme s;
            try {
                s = QuantScheme.parse(text);
            } catch (SchemeParseException e) {
                diag.error("scheme constant " + c.getSimpleName() + ": " + e.getMessage(), c);
                continue;
            }
            for (SchemeProblem p : s.problems()) {
                diag.error("scheme constant " + c.getSimpleName() + " = \"" + text + "\": " + p.message() + "; "
                        + p.fix().replace("use store = U32", "write u32 instead of native"), c);
            }
        }
    }

    /** Reports {@code @Dims} on a field of a class that is not a model class. */
    void checkStrayDims(VariableElement f) {
        Attributes dims = Attributes.of(f, DIMS);
        diag.error("@Dims on '" + f.getSimpleName() + "' has no effect: " + f.getEnclosingElement().getSimpleName()
                + " is not a model class (no @Quantize field, @QuantModule or @QuantizeDefaults); mark the class"
                + " @QuantModule to make its weights part of the model, or remove @Dims", f, dims.mirror, null);
    }
}
