package dev.quant4j.processor;

import dev.quant4j.scheme.VisitorNames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;

/**
 * What the validators need to know about types as types: which are model classes, their visitors'
 * names, and how generated code names them.
 */
final class ModelTypes {
    static final String QUANTIZE = "dev.quant4j.annotations.Quantize";
    static final String DEFAULTS = "dev.quant4j.annotations.QuantizeDefaults";
    static final String MODULE = "dev.quant4j.annotations.QuantModule";
    static final String DIMS = "dev.quant4j.annotations.Dims";
    static final String CONFIG = "dev.quant4j.annotations.QuantizationConfig";
    /** The runtime's holder type, named here by its text: the processor does not depend on the runtime. */
    static final String HOLDER = "dev.quant4j.model.QuantizableTensor";

    /** Simple names the generated file imports; a model named like one of them is written qualified. */
    static final Set<String> IMPORTED = Set.of(
            "Generated", "ModelVisitor", "ModelVisitors", "QuantScheme", "WeightField", "WeightVisitor", "ModelPaths");

    private final Elements elements;
    private final Map<TypeElement, Boolean> modelTypes = new HashMap<>();

    ModelTypes(Elements elements) {
        this.elements = elements;
    }

    /**
     * True when {@code type} is walked as a model: it or a superclass has a {@code @Quantize} field or is
     * marked {@code @QuantModule} or {@code @QuantizeDefaults}. Works for classes from the class path too.
     */
    boolean isModelType(TypeElement type) {
        Boolean known = modelTypes.get(type);
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
        modelTypes.put(type, model);
        return model;
    }

    /** The superclass of {@code c}, or null when it is {@code Object} (or there is none). */
    TypeElement superclassOf(TypeElement c) {
        TypeMirror s = c.getSuperclass();
        if (s.getKind() != TypeKind.DECLARED) {
            return null;
        }
        TypeElement t = (TypeElement) ((DeclaredType) s).asElement();
        return t.getQualifiedName().contentEquals("java.lang.Object") ? null : t;
    }

    String packageOf(TypeElement t) {
        return elements.getPackageOf(t).getQualifiedName().toString();
    }

    /**
     * How generated code in {@code pkg} names {@code type}: relative to the package ({@code Outer.Inner}),
     * or fully qualified when it lives elsewhere or its outermost name could be taken for one of the
     * generated file's imports or a generated visitor.
     */
    String typeRef(TypeElement type, String pkg) {
        String qualified = type.getQualifiedName().toString();
        if (pkg.isEmpty() || !elements.getPackageOf(type).getQualifiedName().contentEquals(pkg)) {
            return qualified;
        }
        String relative = qualified.substring(pkg.length() + 1);
        String outermost = relative.contains(".") ? relative.substring(0, relative.indexOf('.')) : relative;
        return IMPORTED.contains(outermost) || VisitorNames.isVisitorName(outermost) ? qualified : relative;
    }

    /** The generated visitor's simple name, by the rule the runtime loads it by ({@link VisitorNames}). */
    static String visitorName(TypeElement model) {
        List<String> nesting = new ArrayList<>();
        for (Element e = model; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            nesting.addFirst(t.getSimpleName().toString());
        }
        return VisitorNames.simpleName(nesting);
    }
}
