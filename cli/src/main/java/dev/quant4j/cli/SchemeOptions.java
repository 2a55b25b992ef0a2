package dev.quant4j.cli;

import dev.quant4j.io.gguf.GgmlRecipe;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options that choose each tensor's scheme, shared by {@code quantize} and {@code spark quantize}
 * ({@code @Mixin}): {@code --scheme}, {@code --rule GLOB=SPEC}, {@code --skip GLOB}, {@code --strict}.
 * It also remembers which rules and skips matched a name, for the warning about those that match none.
 */
final class SchemeOptions {
    @Option(
            names = "--scheme",
            required = true,
            paramLabel = "SPEC",
            converter = Converters.SchemeChoiceConverter.class,
            description = "Scheme for float tensors no --rule matches; for a .gguf output of quantize also a ggml "
                    + "K-quant recipe: q4_k, q6_k or q4_k_m (ggml's own quantizers, as llama-quantize chooses).")
    Converters.SchemeChoice scheme;

    @Option(
            names = "--rule",
            paramLabel = "GLOB=SPEC",
            converter = Converters.RuleConverter.class,
            description = "Scheme for tensors whose name matches GLOB; the first matching rule wins. Repeatable.")
    List<Converters.Rule> rules = new ArrayList<>();

    @Option(
            names = "--skip",
            paramLabel = "GLOB",
            converter = Converters.GlobConverter.class,
            description = "Leave tensors whose name matches GLOB as they are. Repeatable.")
    List<Glob> skips = new ArrayList<>();

    @Option(
            names = "--strict",
            description = "Refuse (exit 2) a float tensor that its scheme cannot take, "
                    + "instead of copying it unquantized with a note.")
    boolean strict;

    /** Whether each --rule and --skip matched any tensor name. */
    private boolean[] ruleUsed;

    private boolean[] skipUsed;

    /** The scheme of the first --rule whose glob matches the name, else --scheme's; null when that is a recipe. */
    QuantScheme schemeFor(String name) {
        for (Converters.Rule r : rules) {
            if (r.glob().matches(name)) {
                return r.scheme();
            }
        }
        return scheme.scheme();
    }

    /** The ggml K-quant recipe --scheme names, or null for one of our schemes. */
    GgmlRecipe recipe() {
        return scheme.recipe();
    }

    /** Whether a --skip matches the name (every matching skip is marked used). */
    boolean skipped(String name) {
        used();
        boolean skip = false;
        for (int i = 0; i < skips.size(); i++) {
            if (skips.get(i).matches(name)) {
                skipUsed[i] = true;
                skip = true;
            }
        }
        return skip;
    }

    /** Marks the rules a name matches, whether or not the rule is the one taken. */
    void noteMatches(String name) {
        used();
        for (int i = 0; i < rules.size(); i++) {
            if (!ruleUsed[i] && rules.get(i).glob().matches(name)) {
                ruleUsed[i] = true;
            }
        }
    }

    private void used() {
        if (ruleUsed == null) {
            ruleUsed = new boolean[rules.size()];
            skipUsed = new boolean[skips.size()];
        }
    }

    /** The warnings for every --rule and --skip that matched no name of {@code input}. */
    List<String> unmatched(Object input) {
        used();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            if (!ruleUsed[i]) {
                out.add("--rule '" + rules.get(i).glob() + "=" + rules.get(i).scheme() + "' matches no tensor of "
                        + input + "; 'quant4j inspect " + input + "' lists the names");
            }
        }
        for (int i = 0; i < skips.size(); i++) {
            if (!skipUsed[i]) {
                out.add("--skip '" + skips.get(i) + "' matches no tensor of " + input + "; 'quant4j inspect " + input
                        + "' lists the names");
            }
        }
        return out;
    }

    /**
     * With {@code --strict}, the refusal of tensors the scheme cannot take (reasons from {@link SchemeFit});
     * else the note line's text for copying them unquantized, or null when there are none.
     */
    String unfit(List<String> unfit) {
        if (unfit.isEmpty()) {
            return null;
        }
        if (strict) {
            throw new CliException(unfit.getFirst() + more(unfit) + "; leave such tensors as they are with "
                    + "--skip GLOB, give them a scheme that fits with --rule GLOB=SPEC, or drop --strict to "
                    + "copy them unquantized");
        }
        return "copied unquantized: " + unfit.getFirst() + more(unfit)
                + " (--skip GLOB copies them without this note; --strict refuses them)";
    }

    /** {@code " (and N more tensors)"} for a list of more than one, else empty. */
    static String more(List<String> items) {
        return items.size() > 1 ? " (and " + (items.size() - 1) + " more tensors)" : "";
    }
}
