package dev.quant4j.cli;

import dev.quant4j.io.gguf.GgmlRecipe;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option values: schemes in text form, {@code GLOB=SPEC} rules and globs. */
final class Converters {
    private Converters() {}

    /** A tensor-name pattern and the scheme for the tensors it matches. */
    record Rule(Glob glob, QuantScheme scheme) {}

    /** ggml's names of the types that are our schemes exactly (what GGUF output needs). */
    static final java.util.Map<String, String> GGML_NAMES =
            java.util.Map.of("q8_0", "q8s:block32:f16", "q4_0", "q4f:block32:f16", "mxfp4", "e2m1:block32:ue8m0");

    /** Reads a scheme and rejects an invalid one with every problem listed. */
    static QuantScheme scheme(String text) {
        if (GgmlRecipe.named(text) != null) {
            throw new TypeConversionException("'" + text + "' is a ggml K-quant (ggml's own quantizer, GGUF only), not "
                    + "one of our schemes: give it as 'quantize --scheme " + text
                    + "' with a .gguf output; the schemes "
                    + "that are ggml types are "
                    + GGML_NAMES.keySet().stream().sorted().toList());
        }
        QuantScheme s;
        try {
            s = QuantScheme.parse(GGML_NAMES.getOrDefault(text.strip().toLowerCase(java.util.Locale.ROOT), text));
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
        List<SchemeProblem> problems = s.problems();
        if (!problems.isEmpty()) {
            throw new TypeConversionException(
                    "scheme '" + text + "' (" + s + ") is invalid: " + SchemeText.problems(problems));
        }
        return s;
    }

    /**
     * What {@code quantize --scheme} names: one of our schemes, or a ggml K-quant recipe ({@code q4_k},
     * {@code q6_k}, {@code q4_k_m}: {@link GgmlRecipe}), which only GGUF output can hold.
     */
    record SchemeChoice(QuantScheme scheme, GgmlRecipe recipe) {}

    static final class SchemeChoiceConverter implements ITypeConverter<SchemeChoice> {
        @Override
        public SchemeChoice convert(String value) {
            GgmlRecipe recipe = GgmlRecipe.named(value);
            return recipe != null ? new SchemeChoice(null, recipe) : new SchemeChoice(scheme(value), null);
        }
    }

    static final class RuleConverter implements ITypeConverter<Rule> {
        @Override
        public Rule convert(String value) {
            // A scheme never holds '=', a glob rarely does: split at the last one.
            int eq = value.lastIndexOf('=');
            if (eq <= 0 || eq == value.length() - 1) {
                throw new TypeConversionException(
                        "'" + value + "' is not GLOB=SPEC; write e.g. '*embed*=q8s:block32:f16'");
            }
            return new Rule(glob(value.substring(0, eq)), scheme(value.substring(eq + 1)));
        }
    }

    static Glob glob(String text) {
        try {
            return Glob.of(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    static final class GlobConverter implements ITypeConverter<Glob> {
        @Override
        public Glob convert(String value) {
            return glob(value);
        }
    }

    /** {@code --max-shard-size}: a size such as 2GB ({@link Sizes#parseSize}). */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parseSize(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
