package dev.quant4j.plan;

import dev.quant4j.model.Quantization;
import dev.quant4j.model.QuantizationReport;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.scheme.QuantScheme;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Each planned field's scheme, as {@link Planner} chose it, with the size and the error it predicts. Print it as
 * {@code @Quantize} lines ({@link #annotationLines()}) or CLI {@code --rule} lines ({@link #ruleLines()}), or
 * apply it ({@link #apply}).
 */
public final class Plan {

    /**
     * One field's choice.
     *
     * @param path   the field's path
     * @param scheme its scheme
     * @param bytes  its size with that scheme
     * @param addedError the output error this field alone adds over the float32 model's (measured)
     */
    public record Choice(String path, QuantScheme scheme, long bytes, double addedError) {}

    private final List<Choice> choices;
    private final Map<String, QuantScheme> byPath = new LinkedHashMap<>();
    private final long bytes;
    private final long weights;
    private final double predictedError;

    Plan(List<Choice> choices, long fixedBytes, long weights, double baseline) {
        this.choices = List.copyOf(choices);
        long b = fixedBytes;
        double e = baseline;
        for (Choice c : this.choices) {
            b += c.bytes();
            e += c.addedError();
            byPath.put(c.path(), c.scheme());
        }
        this.bytes = b;
        this.weights = weights;
        this.predictedError = e;
    }

    /** The choices, in the model's visiting order. */
    public List<Choice> choices() {
        return choices;
    }

    /** The scheme chosen for {@code path}, or null when the plan does not name it. */
    public QuantScheme schemeOf(String path) {
        return byPath.get(path);
    }

    /** Every weight's bytes with the plan: the planned fields' plus the others' as they stay. */
    public long bytes() {
        return bytes;
    }

    /** {@code 8 * bytes() / weights}, over every weight of the model. */
    public double bitsPerWeight() {
        return 8.0 * bytes / weights;
    }

    /**
     * The error the plan predicts: the float32 model's plus each field's added error, as if the fields' errors
     * added up (measure the plan itself with {@link Sensitivity#measure(Object, Plan, WeightQuantizer, OutputError)}).
     */
    public double predictedError() {
        return predictedError;
    }

    /**
     * One annotation per field, to paste on the field: {@code @Quantize(scheme = "q4f:block32:f16:u32:gptq") //
     * layers[0].query}.
     */
    public List<String> annotationLines() {
        List<String> out = new ArrayList<>();
        for (Choice c : choices) {
            out.add("@Quantize(scheme = \"" + c.scheme() + "\") // " + c.path());
        }
        return out;
    }

    /**
     * One {@code quant4j quantize} option per field, matching exactly its path (the tensor's name in a file that
     * {@code ModelFiles} wrote), shell-quoted: {@code --rule 'layers\[0\].query=q4f:block32:f16:u32:gptq'}.
     */
    public List<String> ruleLines() {
        List<String> out = new ArrayList<>();
        for (Choice c : choices) {
            out.add("--rule " + shellQuote(globLiteral(c.path()) + "=" + c.scheme()));
        }
        return out;
    }

    /**
     * A glob of the CLI's syntax (docs/CLI.md) that matches exactly {@code name}: every glob character
     * ({@code * ? [ ] { } ,} and the backslash) escaped with a backslash. The CLI's own quoting calls this.
     */
    public static String globLiteral(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if ("*?[]{},\\".indexOf(ch) >= 0) {
                sb.append('\\');
            }
            sb.append(ch);
        }
        return sb.toString();
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * A quantizer that gives each planned field its plan's scheme and every other field its annotated one,
     * quantizing with {@code base} (which must take the scheme it is given, as
     * {@code WeightQuantizer.calibrated(kernels, null, statistics)} does).
     */
    public WeightQuantizer quantizer(WeightQuantizer base) {
        Objects.requireNonNull(base, "base");
        return (path, weights, declared) -> {
            QuantScheme s = byPath.get(path);
            return base.quantize(path, weights, s != null ? s : declared);
        };
    }

    /** Quantizes {@code model} with the plan: {@link Quantization#quantizeWeights(Object, WeightQuantizer)}. */
    public QuantizationReport apply(Object model, WeightQuantizer base) {
        return Quantization.quantizeWeights(model, quantizer(base));
    }

    /** The width of the first column of this table and {@link Sensitivity}'s: its header or the longest path. */
    static int fieldColumnWidth(Stream<String> paths) {
        return paths.mapToInt(String::length).reduce("field".length(), Math::max);
    }

    /** The plan as a table: field, scheme, bytes, added error; then the totals. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int width = fieldColumnWidth(choices.stream().map(Choice::path));
        for (Choice c : choices) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-" + width + "s  %-28s %10d %12.4e%n",
                    c.path(),
                    c.scheme(),
                    c.bytes(),
                    c.addedError()));
        }
        sb.append(String.format(
                Locale.ROOT,
                "%d bytes, %.4f bits per weight, predicted error %.4e%n",
                bytes,
                bitsPerWeight(),
                predictedError));
        return sb.toString();
    }
}
