package dev.quant4j.processor;

import dev.quant4j.processor.ModelSpec.Member;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.ProcessingEnvironment;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;

/**
 * Checks one model class and works out its {@link ModelSpec}, with one validator per construct, as
 * Dagger has: {@link ClassValidator} for the class, {@link FieldClassifier} for each field (weight or
 * module, accessors, {@code @Dims}), {@link SchemeResolver} for each weight's scheme (defaults, names,
 * warnings). Every problem is reported through {@link Diagnostics} at the annotation value at fault;
 * scheme problems come from {@link QuantScheme#problemsForRank(int)}, the runtime's own validation, so
 * the compiler and the runtime never disagree. A validator that reports an error throws
 * {@link AbortException}; this class catches it per class and per field, so every field's errors are
 * reported in one compilation.
 */
final class ModelAnalyzer {
    /** The outcome for one class. */
    record Result(ModelSpec spec, boolean deferred) {
        static final Result FAILED = new Result(null, false);
        static final Result DEFERRED = new Result(null, true);
    }

    private final Elements elements;
    private final Diagnostics diag;
    private final ModelTypes modelTypes;
    private final ClassValidator classes;
    private final FieldClassifier fields;
    private final SchemeResolver schemes;

    ModelAnalyzer(ProcessingEnvironment env, Diagnostics diag) {
        this.elements = env.getElementUtils();
        this.diag = diag;
        this.modelTypes = new ModelTypes(elements);
        this.classes = new ClassValidator(diag);
        this.fields = new FieldClassifier(env, diag, modelTypes);
        this.schemes = new SchemeResolver(elements, diag);
    }

    /** See {@link ModelTypes#isModelType}. */
    boolean isModelType(TypeElement type) {
        return modelTypes.isModelType(type);
    }

    /** Checks {@code model} and returns its spec; a null spec means errors were reported (or it is deferred). */
    Result analyze(TypeElement model) {
        int errorsBefore = diag.errorCount();
        try {
            classes.check(model);
        } catch (AbortException reported) {
            return Result.FAILED;
        }
        for (VariableElement f : ElementFilter.fieldsIn(model.getEnclosedElements())) {
            if (f.asType().getKind() == TypeKind.ERROR) {
                // A type another processor generates later in this compilation; try again next round.
                return Result.DEFERRED;
            }
        }
        String pkg = modelTypes.packageOf(model);
        SchemeResolver.Defaults defaults = schemes.defaults(model);
        List<Member> members = new ArrayList<>();
        Set<String> constants = new HashSet<>();
        for (VariableElement f : ElementFilter.fieldsIn(model.getEnclosedElements())) {
            try {
                fields.classify(model, f)
                        .ifPresent(c -> members.add(
                                switch (c) {
                                    case FieldClassifier.Nested n -> n.module();
                                    case FieldClassifier.Weight w -> weight(model, pkg, defaults, w, constants);
                                }));
            } catch (AbortException reported) {
                // This field's error is reported; the next field is checked on its own.
            }
        }
        // Some errors (a misplaced @Dims) do not stop their field, but any error stops the class.
        if (diag.errorCount() != errorsBefore) {
            return Result.FAILED;
        }
        TypeElement sup = modelTypes.superclassOf(model);
        String superRef = sup != null && modelTypes.isModelType(sup) ? modelTypes.typeRef(sup, pkg) : null;
        return new Result(
                new ModelSpec(
                        model.getQualifiedName().toString(),
                        pkg,
                        ModelTypes.visitorName(model),
                        modelTypes.typeRef(model, pkg),
                        superRef,
                        members),
                false);
    }

    /** The spec of a weight field, with its scheme resolved when it is quantized. */
    private ModelSpec.Weight weight(
            TypeElement model,
            String pkg,
            SchemeResolver.Defaults defaults,
            FieldClassifier.Weight w,
            Set<String> constants) {
        String name = w.field().getSimpleName().toString();
        String fieldKey = elements.getBinaryName(model) + "#" + name;
        Attributes q = w.quantize();
        if (q == null) {
            return new ModelSpec.Weight(
                    name, w.kind(), null, null, null, null, fieldKey, w.dims(), w.getter(), w.setter());
        }
        SchemeResolver.Effective scheme = schemes.resolve(model, w.field(), q, defaults, w.rank(), pkg);
        return new ModelSpec.Weight(
                name,
                w.kind(),
                constantName(name, constants),
                scheme.init(),
                scheme.scheme().toString(),
                q.describe() + (scheme.origin().isEmpty() ? "" : " " + scheme.origin()),
                fieldKey,
                w.dims(),
                w.getter(),
                w.setter());
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

    /** Checks every scheme constant of a {@code @QuantizationConfig} class. */
    void checkConfig(TypeElement config) {
        schemes.checkConfig(config);
    }

    /** Reports {@code @Dims} on a field of a class that is not a model class. */
    void checkStrayDims(VariableElement f) {
        fields.checkStrayDims(f);
    }
}
