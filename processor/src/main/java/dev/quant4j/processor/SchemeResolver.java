package dev.quant4j.processor;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.annotations.Calibration;
import dev.quant4j.annotations.QuantLevel;
import dev.quant4j.annotations.QuantMode;
import dev.quant4j.annotations.QuantParam;
import dev.quant4j.annotations.QuantStore;
import dev.quant4j.annotations.QuantValue;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeParseException;
import dev.quant4j.scheme.SchemeProblem;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.util.Elements;

/**
 * Works out the scheme of each {@code @Quantize} field: the class's {@code @QuantizeDefaults}, scheme
 * names and text, attribute-by-attribute combination starting from {@link QuantScheme#DEFAULT}, and the
 * warnings. Every scheme problem comes from {@link QuantScheme#problemsForRank(int)}, the runtime's own
 * validation, and is reported at the annotation value it came from with the fix in that value's words.
 */
final class SchemeResolver {
    private static final Pattern LN_PREFIX = Pattern.compile("ln([_0-9A-Z].*)?");

    /** Where a scheme attribute's value came from, to point a diagnostic at it. */
    private record Source(Attributes attrs, String attribute) {
        Element element() {
            return attrs == null ? null : attrs.element;
        }

        /** A problem's fix in the words of what the user wrote there: scheme text or an attribute. */
        String fix(SchemeProblem p) {
            return attribute.equals("scheme") ? p.textFix() : p.annotationFix();
        }
    }

    /**
     * The class's {@code @QuantizeDefaults}: its attributes, its scheme text if any, and its own problems.
     * {@code failed} when they are in error (already reported), so that no field's scheme can be known.
     */
    record Defaults(
            Attributes attrs,
            QuantScheme schemeText,
            SchemeNames.Named named,
            List<SchemeProblem> problems,
            boolean failed) {
        static final Defaults NONE = new Defaults(null, null, null, List.of(), false);
        static final Defaults FAILED = new Defaults(null, null, null, List.of(), true);
    }

    /** A {@code scheme} attribute read: the scheme, and the named constant it came from (or null). */
    private record Resolved(QuantScheme scheme, SchemeNames.Named named) {}

    /** A field's scheme, with its generated initializer and a note on where it came from. */
    record Effective(QuantScheme scheme, String init, String origin) {}

    private final Elements elements;
    private final Diagnostics diag;
    private final SchemeNames names;

    SchemeResolver(Elements elements, Diagnostics diag) {
        this.elements = elements;
        this.diag = diag;
        this.names = new SchemeNames(elements);
    }

    // ---------------------------------------------------------------------------------------------
    // Defaults

    /** Reads and checks {@code model}'s {@code @QuantizeDefaults}; errors are reported at the defaults. */
    Defaults defaults(TypeElement model) {
        Attributes d = Attributes.of(model, ModelTypes.DEFAULTS);
        if (d == null) {
            return Defaults.NONE;
        }
        QuantScheme text = null;
        SchemeNames.Named named = null;
        if (d.has("scheme")) {
            Resolved resolved;
            try {
                resolved = schemeAttribute(model, "conflicting defaults: @QuantizeDefaults", d);
            } catch (AbortException reported) {
                return Defaults.FAILED;
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
            diag.error("@QuantizeDefaults: " + p.message() + "; " + src.fix(p), model, d.mirror, v);
        }
        return new Defaults(d, text, named, problems, false);
    }

    /**
     * Reads the {@code scheme} attribute of {@code a}, which must come alone: scheme text, or the name of a
     * config constant.
     *
     * @param subject how an error names the annotation, e.g. {@code @Quantize on 'w'}
     * @throws AbortException after reporting an error at the value
     */
    private Resolved schemeAttribute(TypeElement model, String subject, Attributes a) {
        List<String> parts = a.explicitParts();
        if (!parts.isEmpty()) {
            throw diag.abort(
                    subject + " sets scheme = \"" + a.string("scheme") + "\" and " + String.join(", ", parts)
                            + "; a scheme sets value, level, blockSize, param and store all at once, so give either the"
                            + " scheme or the attributes",
                    a.element,
                    a.mirror,
                    a.value(parts.get(0)));
        }
        Resolved resolved = readSchemeText(model, a);
        List<String> activationParts = a.explicitActivationParts();
        QuantScheme s = resolved.scheme();
        if (!activationParts.isEmpty()
                && (s.activations() != ActivationMode.NONE
                        || s.activationCalibration() != ActivationCalibration.NONE)) {
            throw diag.abort(
                    subject + " sets scheme = \"" + a.string("scheme") + "\", whose text gives the activations"
                            + " (" + s + "), and " + String.join(", ", activationParts)
                            + "; give the activations either in the"
                            + " scheme or as attributes",
                    a.element,
                    a.mirror,
                    a.value(activationParts.get(0)));
        }
        return resolved;
    }

    /** Reads the text of a {@code scheme} attribute, or the config constant it names. */
    private Resolved readSchemeText(TypeElement model, Attributes a) {
        String text = a.string("scheme");
        AnnotationValue value = a.value("scheme");
        try {
            return new Resolved(QuantScheme.parse(text), null);
        } catch (SchemeParseException parseError) {
            if (!SchemeNames.looksLikeName(text.strip())) {
                throw diag.abort(parseError.getMessage(), a.element, a.mirror, value);
            }
            SchemeNames.Lookup lookup = names.lookup(text.strip(), model);
            if (lookup.found() == null) {
                // An upper-case name is meant as a constant; anything else may be mistyped scheme text.
                String asText = text.strip().equals(text.strip().toUpperCase(Locale.ROOT))
                        ? ""
                        : " (as scheme text: " + parseError.getMessage() + ")";
                throw diag.abort(lookup.error() + asText, a.element, a.mirror, value);
            }
            try {
                return new Resolved(QuantScheme.parse(lookup.found().text()), lookup.found());
            } catch (SchemeParseException badConstant) {
                throw diag.abort(
                        "scheme name '" + text + "' refers to " + lookup.found().display() + " = \""
                                + lookup.found().text() + "\", which is not a scheme: " + badConstant.getMessage(),
                        a.element,
                        a.mirror,
                        value);
            }
        }
    }

    /**
     * Combines a field's explicit attributes (or scheme) with the class defaults, attribute by attribute,
     * exactly as {@link dev.quant4j.annotations.Quantize} documents it, starting from
     * {@link QuantScheme#DEFAULT}, and records where each one came from.
     */
    private static QuantScheme combine(
            Attributes field, Attributes defaults, QuantScheme defaultsText, Map<String, Source> origin) {
        QuantScheme base = defaultsText == null ? QuantScheme.DEFAULT : defaultsText;
        QuantValue value = base.value();
        QuantLevel level = base.level();
        // A tensor-level scheme says nothing about block extents: keep the annotation's default.
        int[] block = level == QuantLevel.BLOCK ? base.blockSize() : new int[] {QuantScheme.DEFAULT_BLOCK_EXTENT};
        QuantStore store = base.store();
        QuantParam param = base.param();
        QuantMode mode = base.mode();
        Calibration calibration = base.calibration();
        for (String part : Attributes.SCHEME_PARTS) {
            origin.put(part, new Source(null, part));
        }
        if (defaultsText != null) {
            for (String part : List.of("value", "level", "blockSize", "store", "param", "mode")) {
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
                    case "value" -> value = a.enumValue(part, QuantValue.class);
                    case "level" -> level = a.enumValue(part, QuantLevel.class);
                    case "blockSize" -> block = a.blockSize();
                    case "store" -> store = a.enumValue(part, QuantStore.class);
                    case "param" -> param = a.enumValue(part, QuantParam.class);
                    case "mode" -> mode = a.enumValue(part, QuantMode.class);
                    case "calibration" -> calibration = a.enumValue(part, Calibration.class);
                    default -> throw new AssertionError(part);
                }
            }
        }
        QuantScheme weights =
                QuantScheme.of(value, level, level == QuantLevel.BLOCK ? block : null, store, param, mode, calibration);
        return withActivations(weights, defaults, defaultsText, field, null, origin);
    }

    /**
     * Sets the activation parts on {@code weights}, each from the nearest place that gives it: the field's
     * attribute, else its scheme text, else the class defaults' attribute, else their scheme text, else
     * {@link QuantScheme#DEFAULT}; and records where each came from.
     */
    private static QuantScheme withActivations(
            QuantScheme weights,
            Attributes defaults,
            QuantScheme defaultsText,
            Attributes field,
            QuantScheme fieldText,
            Map<String, Source> origin) {
        ActivationMode activations = QuantScheme.DEFAULT.activations();
        ActivationCalibration calibration = QuantScheme.DEFAULT.activationCalibration();
        for (String part : Attributes.ACTIVATION_PARTS) {
            origin.put(part, new Source(null, part));
        }
        Attributes[] attrs = {defaults, field};
        QuantScheme[] texts = {defaultsText, fieldText};
        for (int i = 0; i < attrs.length; i++) {
            if (texts[i] != null && texts[i].activations() != ActivationMode.NONE) {
                activations = texts[i].activations();
                origin.put("activations", new Source(attrs[i], "scheme"));
            }
            if (texts[i] != null && texts[i].activationCalibration() != ActivationCalibration.NONE) {
                calibration = texts[i].activationCalibration();
                origin.put("activationCalibration", new Source(attrs[i], "scheme"));
            }
            if (attrs[i] == null) {
                continue;
            }
            for (String part : attrs[i].explicitActivationParts()) {
                origin.put(part, new Source(attrs[i], part));
                switch (part) {
                    case "activations" -> activations = attrs[i].enumValue(part, ActivationMode.class);
                    case "activationCalibration" -> calibration = attrs[i].enumValue(part, ActivationCalibration.class);
                    default -> throw new AssertionError(part);
                }
            }
        }
        return weights.withActivations(activations).withActivationCalibration(calibration);
    }

    // ---------------------------------------------------------------------------------------------
    // Fields

    /**
     * The scheme of {@code @Quantize} field {@code f} of a tensor of rank {@code rank} (-1: not known at
     * compile time), checked and with its warnings reported.
     *
     * @throws AbortException after reporting an error (or when the class's defaults are in error)
     */
    Effective resolve(TypeElement model, VariableElement f, Attributes q, Defaults defaults, int rank, String pkg) {
        String name = f.getSimpleName().toString();
        if (defaults.failed()) {
            // The class's defaults are in error (already reported): the field's scheme cannot be known.
            throw new AbortException();
        }
        QuantScheme scheme;
        Map<String, Source> origin = new HashMap<>();
        SchemeNames.Named named = null;
        if (q.has("scheme")) {
            Resolved resolved = schemeAttribute(model, "@Quantize on '" + name + "'", q);
            named = resolved.named();
            for (String part : Attributes.SCHEME_PARTS) {
                origin.put(part, new Source(q, "scheme"));
            }
            scheme = withActivations(
                    resolved.scheme(), defaults.attrs(), defaults.schemeText(), q, resolved.scheme(), origin);
        } else {
            scheme = combine(q, defaults.attrs(), defaults.schemeText(), origin);
            if (q.explicitParts().isEmpty()
                    && defaults.attrs() != null
                    && defaults.attrs().explicitParts().isEmpty()) {
                named = defaults.named();
            }
        }
        if (named != null && !QuantScheme.parse(named.text()).equals(scheme)) {
            // Activations from attributes or the defaults change the named scheme: write the scheme itself.
            named = null;
        }
        checkProblems(f, q, defaults, scheme, rank, origin);
        warnings(f, q, scheme, origin);

        String init = "QuantScheme.parse(\"" + scheme + "\")";
        String from = "";
        boolean usesDefaults =
                defaults.attrs() != null && origin.values().stream().anyMatch(o -> o.attrs == defaults.attrs());
        if (usesDefaults) {
            from = "with " + defaults.attrs().describe();
        }
        if (named != null) {
            String ref = named.reference(elements, pkg, ModelTypes.IMPORTED);
            if (ref != null) {
                // Referencing the constant (not copying its text) lets incremental builds see the dependency.
                init = "QuantScheme.parse(" + ref + ")";
            }
            from = (from.isEmpty() ? "" : from + " ") + "= " + named.display();
        }
        return new Effective(scheme, init, from);
    }

    /**
     * Reports the scheme's own problems, then (only for a scheme valid on its own) a block with more
     * extents than the field's rank, in the field's terms.
     */
    private void checkProblems(
            VariableElement f,
            Attributes q,
            Defaults defaults,
            QuantScheme scheme,
            int rank,
            Map<String, Source> origin) {
        String name = f.getSimpleName().toString();
        String fieldPrefix = "field '" + name + "': ";
        List<SchemeProblem> problems = rank >= 0 ? scheme.problemsForRank(rank) : scheme.problems();
        List<SchemeProblem> own = problems.stream()
                .filter(p -> p.rule() != SchemeProblem.Rule.BLOCK_RANK_ABOVE_TENSOR_RANK)
                .toList();
        for (SchemeProblem p : own) {
            Source src = origin.get(p.attribute());
            if (src.attrs != null
                    && src.attrs == defaults.attrs()
                    && defaults.problems().contains(p)) {
                // Already reported once at the class defaults.
                continue;
            }
            report(p.message() + "; " + src.fix(p), fieldPrefix, f, q, src);
        }
        if (!own.isEmpty()) {
            throw new AbortException();
        }
        if (problems.size() > own.size()) {
            report(
                    "block " + scheme.levelToken() + " has " + scheme.blockRank() + " extents but field '" + name
                            + "' is a " + (rank == 1 ? "float[] vector (1 dimension)" : "tensor of rank " + rank) + "; "
                            + (rank == 1 ? "declare its shape with @Dims({\"rows\", \"cols\"}), or " : "")
                            + "use a block with at most " + rank + (rank == 1 ? " extent" : " extents"),
                    fieldPrefix,
                    f,
                    q,
                    origin.get("blockSize"));
            throw new AbortException();
        }
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

    // ---------------------------------------------------------------------------------------------
    // Warnings

    private void warn(String message, VariableElement f, Attributes q, Source src) {
        // A value from the class defaults is warned about at the field's annotation, not at the defaults, so
        // that @SuppressWarnings on the field silences it.
        diag.warning(message, f, q.mirror, src.attrs == q ? q.value(src.attribute) : null);
    }

    /** Names such as {@code bias}, {@code attnNormWeight}, {@code ln1}, {@code ln_f}, {@code gamma}. */
    static boolean looksLikeBiasOrNorm(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.contains("bias")
                || lower.contains("norm")
                || lower.equals("gamma")
                || lower.equals("beta")
                || LN_PREFIX.matcher(name).matches();
    }

    private void warnings(VariableElement f, Attributes q, QuantScheme s, Map<String, Source> origin) {
        String name = f.getSimpleName().toString();
        int bits = s.value().bits();
        if (bits == 2 && looksLikeBiasOrNorm(name)) {
            warn(
                    "field '" + name + "' looks like a bias or a normalization weight: 2-bit values (" + s.value()
                            + ") keep only " + (s.value().maxCode() - s.value().minCode() + 1)
                            + " levels, which usually ruins"
                            + " these small, sensitive tensors; use Q8S or Q4S, or leave the field unquantized"
                            + " (@SuppressWarnings(\"" + Diagnostics.SUPPRESS_KEY + "\") if this is intended)",
                    f,
                    q,
                    origin.get("value"));
        }
        if (s.blockRank() > 0 && s.value().isSubByte() && s.store() == QuantStore.U32) {
            int inner = s.blockExtent(s.blockRank() - 1);
            int perWord = 32 / bits;
            if (inner % perWord != 0) {
                warn(
                        "block extent " + inner + " does not fill whole 32-bit words with " + bits + "-bit codes (U32"
                                + " store packs " + perWord + " per word), so blocks straddle word boundaries and fused"
                                + " kernels cannot take a block as whole words; use a multiple of " + perWord
                                + ", e.g. "
                                + Math.max(perWord, 32),
                        f,
                        q,
                        origin.get("blockSize"));
            }
        }
        if (q.has("blockSize") && !q.has("scheme") && s.level() == QuantLevel.TENSOR) {
            warn(
                    "blockSize " + Arrays.toString(q.blockSize()) + " is ignored at the tensor level: add"
                            + " level = BLOCK to quantize per block, or remove blockSize",
                    f,
                    q,
                    new Source(q, "blockSize"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // @QuantizationConfig

    /** Checks every scheme constant of a config class; errors point at the constant, fixes in text form. */
    void checkConfig(TypeElement config) {
        for (VariableElement c : SchemeNames.constants(config)) {
            Object v = c.getConstantValue();
            if (!(v instanceof String text)) {
                diag.error(
                        "scheme constant " + c.getSimpleName() + " has no compile-time value: the processor reads"
                                + " named schemes while compiling; initialize it with a string literal such as"
                                + " \"q4f:block32:f16\"",
                        c);
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
                diag.error(
                        "scheme constant " + c.getSimpleName() + " = \"" + text + "\": " + p.message() + "; "
                                + p.textFix(),
                        c);
            }
        }
    }
}
