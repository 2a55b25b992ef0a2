package dev.quant4j.cli;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.Gptq;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.io.TensorNameClashException;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.io.gguf.GgmlRecipe;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * Quantizes every F32/F16/BF16 tensor of a file. Streams: each tensor is read from the mapped input,
 * quantized and written before the next is read, so the heap needs to hold about one tensor.
 *
 * <p>Each tensor's scheme is checked against its shape once, where its {@link TensorSpec} is made;
 * the data is then quantized by a {@link Quantizer} per scheme, the API a user calls.
 */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        description = {
            "Quantize every float tensor (F32, F16, BF16) of a safetensors or GGUF file.",
            "The scheme of a tensor is the first --rule whose glob matches its name, else --scheme. "
                    + "Tensors matched by --skip, non-float tensors and tensors already quantized are "
                    + "copied unchanged, and so are tensors the scheme cannot take (with a note; "
                    + "--strict refuses them).",
            "SPEC is a scheme in text form, e.g. q4f:block32:f16:u32, q8s, e4m3:block2x16:bf16, "
                    + "e2m1:block32:ue8m0.",
            "Globs match whole tensor names: * any characters (dots included), ? one character, "
                    + "[abc] a set, {a,b} alternatives."
        })
final class QuantizeCommand extends TransformCommand {
    /** Bits per weight this many times the scheme's nominal figure are worth a warning. */
    static final double COSTLY_FACTOR = 1.5;

    @Mixin
    SchemeOptions schemes;

    @Option(
            names = "--calibration",
            paramLabel = "NAME",
            converter = CalibrationConverter.class,
            description = "How the weights' scales are chosen, for --scheme and every --rule: minmax, mse (a "
                    + "data-free search for the smallest squared error), imatrix (the search weighted by "
                    + "--calibration-data) or gptq (error feedback through the inputs' second moments, which "
                    + "--calibration-data must hold; else imatrix). Without it each SPEC's own (e.g. "
                    + "q4f:block32:f16:mse; default minmax).")
    Calibration calibration;

    @Option(
            names = "--calibration-data",
            paramLabel = "FILE",
            description = "Input statistics for imatrix and gptq: the mean square (and for gptq the second "
                    + "moments) of the inputs of each linear layer, recorded on calibration data, keyed by tensor "
                    + "name (a safetensors file written by InputStatistics.save). Tensors it has no entry for are "
                    + "searched unweighted (mse).")
    Path calibrationData;

    /** {@code minmax}, {@code mse}, {@code imatrix} or {@code gptq}. */
    static final class CalibrationConverter implements ITypeConverter<Calibration> {
        @Override
        public Calibration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.equals("minmax")) {
                return Calibration.MIN_MAX;
            }
            for (Calibration c : Calibration.values()) {
                if (v.equals(QuantScheme.token(c))) {
                    return c;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a calibration; use minmax, mse, imatrix or gptq");
        }
    }

    /**
     * The scheme of a float tensor: the first matching --rule, else --scheme; --calibration applied. Null
     * when --scheme is a ggml recipe and no rule matches.
     */
    QuantScheme schemeFor(String name) {
        QuantScheme s = schemes.schemeFor(name);
        return s == null || calibration == null ? s : s.withCalibration(calibration);
    }

    /** With a ggml recipe: each input file's plan (tensor name to ggml type, null: as it is). */
    private final Map<InputFile, Map<String, GgmlType>> recipePlans = new HashMap<>();
    /** With a ggml recipe: the tensors ggml's quantizers write, by name. */
    private final Map<String, GgufWriter.Tensor> ggml = new HashMap<>();

    private final Map<QuantScheme, Quantizer> quantizers = new HashMap<>();
    private final List<String> unfit = new ArrayList<>();
    private final List<String> costly = new ArrayList<>();
    private InputStatistics statistics;
    private int quantized;
    private int kept;
    private int copied;
    private int unweighted;

    @Override
    void start() throws Exception {
        statistics = calibrationData == null ? null : InputStatistics.load(calibrationData);
        GgmlRecipe recipe = schemes.recipe();
        if (recipe != null && !GgufFiles.isGguf(files.output)) {
            throw new CliException(
                    "--scheme " + recipe.ggmlName() + " is a ggml K-quant, which has no safetensors form: "
                            + "write a .gguf file, or give one of our schemes (q8_0 = q8s:block32:f16, q4_0 = q4f:block32:f16 and "
                            + "mxfp4 = e2m1:block32:ue8m0 are the ones that are ggml types)");
        }
        if (recipe != null && calibration != null) {
            throw new CliException(
                    "--calibration does not apply to --scheme " + recipe.ggmlName() + ", which is ggml's "
                            + "own reference quantizer; drop --calibration, or give the tensors it should apply to a --rule");
        }
    }

    @Override
    TensorSpec plan(InputFile in, InputFile.Tensor t) throws Exception {
        String name = t.name();
        schemes.noteMatches(name);
        switch (t) {
            case InputFile.Plain p
            when p.isFloat() && !schemes.skipped(name) -> {
                QuantScheme s = schemeFor(name);
                if (s == null) {
                    return recipeSpec(in, p);
                }
                boolean dataAware = s.calibration() == Calibration.IMATRIX || s.calibration() == Calibration.GPTQ;
                if (dataAware && statistics == null) {
                    throw new CliException("tensor '" + name + "' has calibration "
                            + QuantScheme.token(s.calibration()) + ", which needs input statistics: "
                            + "give them with --calibration-data FILE, or use --calibration mse (no data "
                            + "needed)");
                }
                float[] importance = dataAware ? statistics.meanSquares(name) : null;
                double[] moments = s.calibration() == Calibration.GPTQ && p.shape().length == 2
                        ? statistics.secondMoments(name)
                        : null;
                if (s.calibration() == Calibration.GPTQ && moments == null) {
                    s = s.withCalibration(Calibration.IMATRIX);
                }
                if (s.calibration() == Calibration.IMATRIX && importance == null) {
                    s = s.withCalibration(Calibration.MSE);
                    unweighted++;
                }
                TensorSpec.Quantized spec = quantizedSpec(p, s, importance, moments);
                if (spec == null) {
                    copied++;
                    return copy(p);
                }
                String cost = costlyBlocks(spec);
                if (cost != null) {
                    costly.add(cost);
                }
                quantized++;
                return spec;
            }
            case InputFile.Quantized q -> {
                schemes.skipped(name);
                kept++;
                return copy(q);
            }
            default -> {
                schemes.skipped(name);
                copied++;
                return copy(t);
            }
        }
    }

    /**
     * A float tensor under the ggml recipe: its type from the recipe's plan of the whole file (llama.cpp
     * counts tensors over the model), quantized by ggml's quantizer when the GGUF writer reaches it, or
     * copied as it is when the plan leaves it (1-D, position tables, rows that fit no block).
     */
    private TensorSpec recipeSpec(InputFile in, InputFile.Plain p) throws Exception {
        Map<String, GgmlType> plan = recipePlans.computeIfAbsent(
                in,
                f -> schemes.recipe()
                        .plan(f.tensors().stream()
                                .filter(t -> t instanceof InputFile.Plain q && q.isFloat())
                                .map(t -> new GgmlRecipe.Entry(t.name(), t.shape()))
                                .toList()));
        GgmlType type = plan.get(p.name());
        if (type == null) {
            copied++;
            return copy(p);
        }
        TensorSpec.Producer<FloatTensor> values = tracked(p.name(), p.byteSize(), p.values());
        ggml.put(
                p.name(),
                GgufWriter.Tensor.quantize(
                        p.name(),
                        intShape(p.name(), p.shape()),
                        type,
                        () -> values.get().data()));
        quantized++;
        return copy(p); // its place in the file; the GGUF writer takes ggml's tensor instead
    }

    @Override
    void planned() {
        if (schemes.recipe() != null) {
            Map<String, GgmlType> all = new java.util.LinkedHashMap<>();
            recipePlans.values().forEach(all::putAll);
            note(schemes.recipe().ggmlName() + ": " + GgmlRecipe.summary(all));
        }
        String unfitNote = schemes.unfit(unfit);
        schemes.unmatched(files.input).forEach(this::warn);
        if (unfitNote != null) {
            note(unfitNote);
        }
        if (!costly.isEmpty()) {
            warn(costly.getFirst() + SchemeOptions.more(costly) + "; blocks cut short by small trailing dimensions "
                    + "carry a scale for few weights: give such tensors a smaller block or the tensor level with "
                    + "--rule GLOB=SPEC, or --skip GLOB");
        }
    }

    @Override
    String counts() {
        return "quantized " + quantized + " tensors (" + copied + " copied, " + kept + " already quantized)";
    }

    @Override
    String sizeNote(long inBytes, long outBytes) {
        return String.format(Locale.ROOT, " (%.2fx smaller)", (double) inBytes / Math.max(outBytes, 1));
    }

    @Override
    void summary(long inBytes, long outBytes) {
        super.summary(inBytes, outBytes);
        if (unweighted > 0) {
            note(unweighted + " imatrix/gptq tensors had no entry in " + calibrationData
                    + " and were searched unweighted (mse)");
        }
    }

    /**
     * The spec that quantizes a float tensor, or null when the scheme cannot take it (the reason is
     * added to {@code unfit}). Making the spec is the one check of the scheme against the shape.
     */
    private TensorSpec.Quantized quantizedSpec(InputFile.Plain t, QuantScheme s, float[] importance, double[] moments) {
        String name = t.name();
        Quantizer quantizer = quantizers.computeIfAbsent(s, Quantizer::new);
        TensorSpec.Producer<FloatTensor> values = t.values();
        return SchemeFit.spec(
                name,
                t.shape(),
                s,
                tracked(name, t.byteSize(), () -> {
                    // imatrix weights the search by the statistics, gptq passes errors on; else the quantizer.
                    FloatTensor x = values.get();
                    return moments != null
                            ? Gptq.quantize(Kernels.active(), name, x, s, statistics)
                            : importance != null && s.calibration() == Calibration.IMATRIX
                                    ? ScaleSearch.quantize(Kernels.active(), name, x, s, importance)
                                    : quantizer.quantize(name, x);
                }),
                unfit);
    }

    /**
     * A description of the tensor when its blocks, cut short by trailing dimensions smaller than the
     * block, make it cost {@link #COSTLY_FACTOR} times the scheme's nominal bits per weight or more
     * (an [8, 4, 3, 3] convolution under block32 carries one scale per 3 weights); else null.
     */
    static String costlyBlocks(TensorSpec.Quantized spec) {
        QuantScheme s = spec.scheme();
        int[] shape = spec.shape();
        long n = Arrays.stream(shape).asLongStream().reduce(1, Math::multiplyExact);
        if (s.blockRank() == 0 || n == 0) {
            return null;
        }
        long blockElements = Arrays.stream(s.blockSize()).asLongStream().reduce(1, Math::multiplyExact);
        double nominal = s.value().bits() + s.param().bytes() * 8.0 / blockElements;
        long bytes = Sizes.dataBytes(spec);
        double actual = bytes * 8.0 / n;
        if (actual < COSTLY_FACTOR * nominal) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "tensor '%s' %s costs %.2f bits per weight under %s, whose nominal is %.2f",
                spec.name(),
                Arrays.toString(shape),
                actual,
                s,
                nominal);
    }

    /** Writes a file; a name the format needs for a quantized tensor's scales, taken already, is bad input. */
    @Override
    void write(Path output, InputFile source, List<TensorSpec> specs) throws Exception {
        try {
            GgufFiles.write(output, source, specs, ggml);
        } catch (TensorNameClashException e) {
            String quantized = e.quantizedSpec();
            throw new CliException("tensor '" + quantized + "' quantized would store its scales as '" + e.name()
                    + "', but " + files.input + " has a tensor of that name already; leave it unquantized with --skip '"
                    + Glob.quote(quantized) + "'");
        }
    }
}
