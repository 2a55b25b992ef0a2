package dev.quant4j.processor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;

/**
 * The attributes an annotation sets explicitly (defaulted ones are absent), read into the annotations'
 * own enum types, with the annotation values kept so that diagnostics can point at them.
 */
final class Attributes {
    /** The scheme attributes of {@code @Quantize} and {@code @QuantizeDefaults}, in declaration order. */
    static final List<String> SCHEME_PARTS =
            List.of("value", "level", "blockSize", "store", "param", "mode", "calibration");

    /** The activation attributes, which may come with a {@code scheme} (it gives the weights' parts). */
    static final List<String> ACTIVATION_PARTS = List.of("activations", "activationCalibration");

    final Element element;
    final AnnotationMirror mirror;
    private final Map<String, AnnotationValue> values = new LinkedHashMap<>();

    private Attributes(Element element, AnnotationMirror mirror) {
        this.element = element;
        this.mirror = mirror;
        for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e :
                mirror.getElementValues().entrySet()) {
            values.put(e.getKey().getSimpleName().toString(), e.getValue());
        }
    }

    /** The annotation of the given type on {@code element}, or null. */
    static Attributes of(Element element, String annotationType) {
        for (AnnotationMirror m : element.getAnnotationMirrors()) {
            TypeElement t = (TypeElement) m.getAnnotationType().asElement();
            if (t.getQualifiedName().contentEquals(annotationType)) {
                return new Attributes(element, m);
            }
        }
        return null;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    AnnotationValue value(String name) {
        return values.get(name);
    }

    /** The weight scheme attributes set explicitly, in declaration order (not {@code scheme}, not activations). */
    List<String> explicitParts() {
        return SCHEME_PARTS.stream().filter(values::containsKey).toList();
    }

    /** The activation attributes set explicitly, in declaration order. */
    List<String> explicitActivationParts() {
        return ACTIVATION_PARTS.stream().filter(values::containsKey).toList();
    }

    /** An enum attribute read into the annotations' own enum type, e.g. {@code enumValue("store", QuantStore.class)}. */
    <E extends Enum<E>> E enumValue(String name, Class<E> type) {
        return Enum.valueOf(type, enumName(name));
    }

    int[] blockSize() {
        List<?> list = (List<?>) values.get("blockSize").getValue();
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Integer) ((AnnotationValue) list.get(i)).getValue();
        }
        return out;
    }

    String string(String name) {
        return (String) values.get(name).getValue();
    }

    List<String> strings(String name) {
        List<?> list = (List<?>) values.get(name).getValue();
        return list.stream().map(v -> (String) ((AnnotationValue) v).getValue()).toList();
    }

    private String enumName(String name) {
        return ((VariableElement) values.get(name).getValue()).getSimpleName().toString();
    }

    /** The annotation as a reader would write it, e.g. {@code @Quantize(value = Q4F, blockSize = {2, 16})}. */
    String describe() {
        String simple = mirror.getAnnotationType().asElement().getSimpleName().toString();
        if (values.isEmpty()) {
            return "@" + simple;
        }
        StringJoiner j = new StringJoiner(", ", "@" + simple + "(", ")");
        for (String name : SCHEME_PARTS) {
            if (has(name)) {
                j.add(name + " = " + text(name));
            }
        }
        if (has("scheme")) {
            j.add("scheme = \"" + string("scheme") + "\"");
        }
        for (String name : ACTIVATION_PARTS) {
            if (has(name)) {
                j.add(name + " = " + text(name));
            }
        }
        return j.toString();
    }

    private String text(String name) {
        if (name.equals("blockSize")) {
            int[] b = blockSize();
            if (b.length == 1) {
                return Integer.toString(b[0]);
            }
            StringJoiner j = new StringJoiner(", ", "{", "}");
            for (int x : b) {
                j.add(Integer.toString(x));
            }
            return j.toString();
        }
        return enumName(name);
    }
}
