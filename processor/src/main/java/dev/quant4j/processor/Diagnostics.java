package dev.quant4j.processor;

import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.tools.Diagnostic;

/**
 * Reports errors and warnings at the most precise place javac can show: the annotation value at fault,
 * else the annotation, else the element. Counts errors so a model class with any is not generated, and
 * honours {@code @SuppressWarnings("quant4j")} on the element or any element around it for warnings.
 */
final class Diagnostics {
    /** The key {@code @SuppressWarnings} takes to silence this processor's warnings. */
    static final String SUPPRESS_KEY = "quant4j";

    private final Messager messager;
    private int errors;

    Diagnostics(Messager messager) {
        this.messager = messager;
    }

    int errorCount() {
        return errors;
    }

    void error(String message, Element element) {
        error(message, element, null, null);
    }

    void error(String message, Element element, AnnotationMirror mirror, AnnotationValue value) {
        errors++;
        print(Diagnostic.Kind.ERROR, message, element, mirror, value);
    }

    /**
     * Reports an error and returns the exception that stops work on the construct at fault:
     * {@code throw diag.abort(...)}.
     */
    AbortException abort(String message, Element element) {
        return abort(message, element, null, null);
    }

    /** Reports an error at the annotation value and returns the exception that stops work on its construct. */
    AbortException abort(String message, Element element, AnnotationMirror mirror, AnnotationValue value) {
        error(message, element, mirror, value);
        return new AbortException();
    }

    void warning(String message, Element element, AnnotationMirror mirror, AnnotationValue value) {
        if (!suppressed(element)) {
            print(Diagnostic.Kind.WARNING, message, element, mirror, value);
        }
    }

    private void print(
            Diagnostic.Kind kind, String message, Element element, AnnotationMirror mirror, AnnotationValue value) {
        if (mirror == null) {
            messager.printMessage(kind, message, element);
        } else if (value == null) {
            messager.printMessage(kind, message, element, mirror);
        } else {
            messager.printMessage(kind, message, element, mirror, value);
        }
    }

    private static boolean suppressed(Element element) {
        for (Element e = element; e != null; e = e.getEnclosingElement()) {
            SuppressWarnings s = e.getAnnotation(SuppressWarnings.class);
            if (s != null) {
                for (String key : s.value()) {
                    if (key.equals(SUPPRESS_KEY) || key.equals("all")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
