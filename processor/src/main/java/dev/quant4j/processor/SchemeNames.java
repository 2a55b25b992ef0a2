package dev.quant4j.processor;

import dev.quant4j.annotations.QuantizationConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;

/**
 * Named schemes: the {@code static final String} constants of {@link QuantizationConfig} classes. A model
 * class sees the configs nested in it or in a class around it, and the top-level configs of its package;
 * a name may be qualified by the config's simple or canonical name ({@code Schemes.ATTENTION}). The
 * lookup is deterministic: it depends on the model's package and nesting, not on what else is compiled
 * in the same round.
 */
final class SchemeNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    /** One named scheme. */
    record Named(TypeElement config, VariableElement constant, String text) {
        /** How a reader names it: {@code Schemes.ATTENTION}. */
        String display() {
            return config.getSimpleName() + "." + constant.getSimpleName();
        }

        /**
         * A Java expression for the constant, or null when generated code in {@code pkg} cannot reach it;
         * package-relative unless its outermost class is named like one of the generated file's imports.
         */
        String reference(Elements elements, String pkg, Set<String> imported) {
            if (constant.getModifiers().contains(Modifier.PRIVATE)) {
                return null;
            }
            boolean samePackage =
                    elements.getPackageOf(config).getQualifiedName().contentEquals(pkg);
            for (Element e = config; e instanceof TypeElement t; e = e.getEnclosingElement()) {
                Set<Modifier> m = t.getModifiers();
                if (m.contains(Modifier.PRIVATE) || (!samePackage && !m.contains(Modifier.PUBLIC))) {
                    return null;
                }
            }
            if (!samePackage && !constant.getModifiers().contains(Modifier.PUBLIC)) {
                return null;
            }
            String qualified = config.getQualifiedName() + "." + constant.getSimpleName();
            if (!samePackage || pkg.isEmpty()) {
                return qualified;
            }
            String relative = qualified.substring(pkg.length() + 1);
            return imported.contains(relative.substring(0, relative.indexOf('.'))) ? qualified : relative;
        }
    }

    /** The outcome of a lookup: a scheme, or an error message. */
    record Lookup(Named found, String error) {}

    private final Elements elements;

    SchemeNames(Elements elements) {
        this.elements = elements;
    }

    /** True when {@code text} could be a (possibly qualified) constant name rather than scheme text. */
    static boolean looksLikeName(String text) {
        return NAME.matcher(text).matches();
    }

    /** The constants a config class declares as named schemes, in declaration order. */
    static List<VariableElement> constants(TypeElement config) {
        List<VariableElement> out = new ArrayList<>();
        for (VariableElement f : ElementFilter.fieldsIn(config.getEnclosedElements())) {
            Set<Modifier> m = f.getModifiers();
            if (m.contains(Modifier.STATIC)
                    && m.contains(Modifier.FINAL)
                    && f.asType().toString().equals("java.lang.String")) {
                out.add(f);
            }
        }
        return out;
    }

    private static boolean isConfig(Element e) {
        return (e.getKind() == ElementKind.CLASS || e.getKind() == ElementKind.INTERFACE)
                && e.getAnnotation(QuantizationConfig.class) != null;
    }

    /** The config classes a model class sees, nearest first. */
    List<TypeElement> configsVisibleFrom(TypeElement model) {
        Set<TypeElement> out = new LinkedHashSet<>();
        for (Element e = model; e instanceof TypeElement t; e = e.getEnclosingElement()) {
            if (isConfig(t)) {
                out.add(t);
            }
            for (TypeElement nested : ElementFilter.typesIn(t.getEnclosedElements())) {
                if (isConfig(nested)) {
                    out.add(nested);
                }
            }
        }
        PackageElement pkg = elements.getPackageOf(model);
        List<TypeElement> topLevel = new ArrayList<>();
        for (TypeElement t : ElementFilter.typesIn(pkg.getEnclosedElements())) {
            if (isConfig(t)) {
                topLevel.add(t);
            }
        }
        // Package members come in no promised order; sort so that messages are stable.
        topLevel.sort((a, b) ->
                a.getQualifiedName().toString().compareTo(b.getQualifiedName().toString()));
        out.addAll(topLevel);
        return new ArrayList<>(out);
    }

    /** Looks up a scheme name as seen from {@code model}. */
    Lookup lookup(String name, TypeElement model) {
        List<TypeElement> visible = configsVisibleFrom(model);
        int dot = name.lastIndexOf('.');
        String constant = dot < 0 ? name : name.substring(dot + 1);
        List<TypeElement> candidates = new ArrayList<>();
        if (dot < 0) {
            candidates.addAll(visible);
        } else {
            String qualifier = name.substring(0, dot);
            for (TypeElement t : visible) {
                if (t.getSimpleName().contentEquals(qualifier)
                        || t.getQualifiedName().contentEquals(qualifier)) {
                    candidates.add(t);
                }
            }
            TypeElement byName = elements.getTypeElement(qualifier);
            if (candidates.isEmpty() && byName != null && isConfig(byName)) {
                candidates.add(byName);
            }
            if (candidates.isEmpty()) {
                return new Lookup(
                        null,
                        "no @QuantizationConfig class '" + qualifier + "' is visible from "
                                + model.getSimpleName()
                                + " (configs nested in it or around it, top-level ones in its package,"
                                + " or a canonical name)");
            }
        }
        List<Named> found = new ArrayList<>();
        List<String> known = new ArrayList<>();
        for (TypeElement config : candidates) {
            for (VariableElement f : constants(config)) {
                known.add(f.getSimpleName().toString());
                if (f.getSimpleName().contentEquals(constant) && f.getConstantValue() instanceof String text) {
                    found.add(new Named(config, f, text));
                }
            }
        }
        if (found.size() == 1) {
            return new Lookup(found.get(0), null);
        }
        if (found.size() > 1) {
            List<String> where = found.stream()
                    .map(n -> n.config().getQualifiedName().toString())
                    .toList();
            return new Lookup(
                    null,
                    "scheme name '" + name + "' is declared in " + String.join(" and ", where) + "; qualify it, e.g. \""
                            + found.get(0).display() + "\"");
        }
        String suggestion = closest(constant, known);
        return new Lookup(
                null,
                "unknown scheme name '" + name + "': no @QuantizationConfig constant of that name is"
                        + " visible from " + model.getSimpleName()
                        + (known.isEmpty() ? " (none are)" : " (known: " + String.join(", ", known) + ")")
                        + (suggestion == null ? "" : "; did you mean " + suggestion + "?")
                        + " Declare it as a static final String in a @QuantizationConfig class, reference the constant"
                        + " itself (scheme = Schemes.NAME) so that javac checks the name, or write the scheme as text,"
                        + " e.g. \"q4f:block32:f16\"");
    }

    /** The known name nearest to {@code name} by edit distance, if it is plausibly a typo (distance <= 2). */
    private static String closest(String name, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(name.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
