package dev.quant4j.processor;

import com.google.auto.service.AutoService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Filer;
import javax.annotation.processing.FilerException;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.tools.JavaFileObject;

/**
 * The quant4j annotation processor: checks every {@code @Quantize} configuration at compile time and
 * generates one visitor per model class ({@code Foo_Quantization}), which the runtime's
 * {@code dev.quant4j.model.Quantization} uses to quantize, save and load the model without reflection.
 *
 * <p>A model class is a class with a {@code @Quantize} field, or marked {@code @QuantModule} or
 * {@code @QuantizeDefaults}. Each generated file has exactly one originating element, the model class,
 * which makes the processor isolating for Gradle's incremental compilation.
 */
@AutoService(Processor.class)
public final class QuantizeProcessor extends AbstractProcessor {
    private Diagnostics diag;
    private ModelAnalyzer analyzer;
    /** Model classes already generated (or failed), by canonical name; rounds must not repeat them. */
    private final Set<String> done = new HashSet<>();
    /** Model classes whose field types were not resolved yet, by canonical name, retried next round. */
    private final Set<String> deferred = new LinkedHashSet<>();

    @Override
    public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        diag = new Diagnostics(env.getMessager());
        analyzer = new ModelAnalyzer(env, diag);
    }

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        return Set.of(ModelTypes.QUANTIZE, ModelTypes.DEFAULTS, ModelTypes.MODULE, ModelTypes.DIMS, ModelTypes.CONFIG);
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        // Sorted by name so that diagnostics and files come out in the same order on every build.
        TreeMap<String, TypeElement> models = new TreeMap<>();
        TreeMap<String, TypeElement> configs = new TreeMap<>();
        for (String name : deferred) {
            TypeElement t = processingEnv.getElementUtils().getTypeElement(name);
            if (t != null) {
                models.put(name, t);
            }
        }
        deferred.clear();
        for (TypeElement annotation : annotations) {
            String name = annotation.getQualifiedName().toString();
            for (Element e : round.getElementsAnnotatedWith(annotation)) {
                switch (name) {
                    case ModelTypes.QUANTIZE -> addModel(models, e.getEnclosingElement());
                    case ModelTypes.DEFAULTS, ModelTypes.MODULE -> addModel(models, e);
                    case ModelTypes.CONFIG ->
                        configs.put(((TypeElement) e).getQualifiedName().toString(), (TypeElement) e);
                    default -> {
                        // @Dims: checked with its class, unless the class is no model at all.
                    }
                }
            }
        }
        for (TypeElement annotation : annotations) {
            if (annotation.getQualifiedName().contentEquals(ModelTypes.DIMS)) {
                List<? extends Element> dims = round.getElementsAnnotatedWith(annotation).stream()
                        .sorted(Comparator.comparing(Element::toString))
                        .toList();
                for (Element e : dims) {
                    TypeElement owner = (TypeElement) e.getEnclosingElement();
                    if (e.getKind() == ElementKind.FIELD && !analyzer.isModelType(owner)) {
                        analyzer.checkStrayDims((VariableElement) e);
                    }
                }
            }
        }
        for (TypeElement config : configs.values()) {
            analyzer.checkConfig(config);
        }
        for (TypeElement model : models.values()) {
            String name = model.getQualifiedName().toString();
            if (!done.add(name)) {
                continue;
            }
            ModelAnalyzer.Result result;
            try {
                result = analyzer.analyze(model);
            } catch (RuntimeException bug) {
                // A bug here must not take javac down with a stack trace and no location: name the class.
                diag.error(
                        "quant4j processor failed on " + name + ": " + bug + "; please report it with this class",
                        model);
                continue;
            }
            if (result.deferred() && !round.processingOver()) {
                done.remove(name);
                deferred.add(name);
            } else if (result.spec() != null) {
                generate(result.spec(), model);
            }
        }
        // These annotations mean nothing to other processors; claiming them spares -Xlint:processing noise.
        return true;
    }

    private static void addModel(TreeMap<String, TypeElement> models, Element e) {
        if (e instanceof TypeElement t) {
            models.put(t.getQualifiedName().toString(), t);
        }
    }

    private void generate(ModelSpec spec, TypeElement model) {
        String name = spec.packageName().isEmpty() ? spec.visitorName() : spec.packageName() + "." + spec.visitorName();
        Filer filer = processingEnv.getFiler();
        try {
            JavaFileObject file = filer.createSourceFile(name, model);
            try (Writer w = file.openWriter()) {
                w.write(VisitorWriter.write(spec));
            }
        } catch (FilerException e) {
            diag.error(
                    "cannot generate " + name + " for " + spec.qualifiedName() + ": " + e.getMessage()
                            + " (another class of that name exists, e.g. a top-level class named like this nested one with"
                            + " '_' between the names; rename one of them)",
                    model);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + name, e);
        }
    }
}
