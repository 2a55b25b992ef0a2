package dev.quant4j.cli;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.Gptq;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.QuantizedLayout;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorNameClashException;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.io.gguf.GgmlRecipe;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.io.gguf.GgufWriter;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.InvalidSchemeException;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.QuantizedTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Quantizes every F32/F16/BF16 tensor of a file. Streams: each tensor is read from the mapped input,
 * quantized and written before the next is read, so the heap needs to hold about one tensor.
 *
 * <p>Each tensor's scheme is checked against its shape once, where its {@link TensorSpec} is made;
 * the data is then quantized by a {@link Quantizer} per scheme, the API a user calls.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize every float tensor (F32, F16, BF16) of a safetensors file.",
                "The scheme of a tensor is the first --rule whose glob matches its name, else --scheme. "
                        + "Tensors matched by --skip, non-float tensors and tensors already quantized are "
                        + "copied unchanged, and so are tensors the scheme cannot take (with a note; "
                        + "--strict refuses them).",
                "SPEC is a scheme in text form, e.g. q4f:block32:f16:u32, q8s, e4m3:block2x16:bf16, "
                        + "e2m1:block32:ue8m0.",
                "Globs match whole tensor names: * any characters (dots included), ? one character, "
                        + "[abc] a set, {a,b} alternatives."})
final class QuantizeCommand extends FileCommand {
    /** Bits per weight this many times the scheme's nominal figure are worth a warning. */
    static final double COSTLY_FACTOR = 1.5;

    @Parameters(index = "0", paramLabel = "IN", description = "The safetensors file to read.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write (replaced atomically).")
    Path output;

    @Option(names = "--scheme", required = true, paramLabel = "SPEC", converter = Converters.SchemeChoiceConverter.class,
            description = "Scheme for float tensors no --rule matches; for a .gguf output also a ggml K-quant recipe: "
                    + "q4_k, q6_k or q4_k_m (ggml's own quantizers, as llama-quantize chooses; docs/GGUF.md).")
    Converters.SchemeChoice scheme;

    @Option(names = "--rule", paramLabel = "GLOB=SPEC", converter = Converters.RuleConverter.class,
            description = "Scheme for tensors whose name matches GLOB; the first matching rule wins. Repeatable.")
    List<Converters.Rule> rules = new ArrayList<>();

    @Option(names = "--skip", paramLabel = "GLOB", converter = Converters.GlobConverter.class,
            description = "Leave tensors whose name matches GLOB as they are. Repeatable.")
    List<Glob> skips = new ArrayList<>();

    @Option(names = "--strict", description = "Refuse (exit 2) a float tensor that its scheme cannot take, "
            + "instead of copying it unquantized with a note.")
    boolean strict;

    @Option(names = "--calibration", paramLabel = "NAME", converter = CalibrationConverter.class,
            description = "How the weights' scales are chosen, for --scheme and every --rule: minmax, mse (a "
                    + "data-free search for the smallest squared error), imatrix (the search weighted by "
                    + "--calibration-data) or gptq (error feedback through the inputs' second moments, which "
                    + "--calibration-data must hold; else imatrix). Without it each SPEC's own (e.g. "
                    + "q4f:block32:f16:mse; default minmax).")
    Calibration calibration;

    @Option(names = "--calibration-data", paramLabel = "FILE",
            description = "Input statistics for imatrix and gptq: the mean square (and for gptq the second "
                    + "moments) of the inputs of each linear layer, recorded on calibration data, keyed by tensor "
                    + "name (a safetensors file written by InputStatistics.save). Tensors it has no entry for are "
                    + "searched unweighted (mse).")
    Path calibrationData;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

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

    /** Whether each --rule and --skip matched any tensor name, for the warning about those that did not. */
    private boolean[] ruleUsed;
    private boolean[] skipUsed;

    /** The scheme of the first matching --rule, else --scheme's; null when that is a ggml recipe. */
    QuantScheme schemeFor(String name) {
        QuantScheme s = scheme.scheme();
        for (Converters.Rule r : rules) {
            if (r.glob().matches(name)) {
                s = r.scheme();
                break;
            }
        }
        return s == null || calibration == null ? s : s.withCalibration(calibration);
    }

    boolean skipped(String name) {
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
    private void noteMatches(String name) {
        for (int i = 0; i < rules.size(); i++) {
            if (!ruleUsed[i] && rules.get(i).glob().matches(name)) {
                ruleUsed[i] = true;
            }
        }
    }

    @Override
    Path shardableInput() {
        return input;
    }

    @Override
    Path shardOutput() {
        return output;
    }

    @Override
    void retarget(Path input, Path output) {
        this.input = input;
        this.output = output;
    }

    @Override
    int execute() throws Exception {
        checkDistinct(input, output);
        ruleUsed = new boolean[rules.size()];
        skipUsed = new boolean[skips.size()];
        Map<QuantScheme, Quantizer> quantizers = new HashMap<>();
        int quantized = 0;
        int kept = 0;
        int copied = 0;
        int unweighted = 0;
        long inBytes;
        InputStatistics statistics = calibrationData == null ? null : InputStatistics.load(calibrationData);
        GgmlRecipe recipe = scheme.recipe();
        if (recipe != null && !GgufFiles.isGguf(output)) {
            throw new CliException("--scheme " + recipe.ggmlName() + " is a ggml K-quant, which has no safetensors form: "
                    + "write a .gguf file, or give one of our schemes (q8_0 = q8s:block32:f16, q4_0 = q4f:block32:f16 and "
                    + "mxfp4 = e2m1:block32:ue8m0 are the ones that are ggml types)");
        }
        if (recipe != null && calibration != null) {
            throw new CliException("--calibration does not apply to --scheme " + recipe.ggmlName() + ", which is ggml's own "
                    + "reference quantizer; drop --calibration, or give the tensors it should apply to a --rule");
        }
        Map<String, GgufWriter.Tensor> ggml = new HashMap<>();
        try (SafetensorsReader in = open(input)) {
            printWarnings(in);
            inBytes = in.fileSize();
            List<String> unfit = new ArrayList<>();
            List<String> costly = new ArrayList<>();
            List<TensorSpec> specs = new ArrayList<>();
            Map<String, GgmlType> plan = recipe == null ? Map.of() : recipe.plan(in.entries().stream()
                    .filter(e -> e instanceof TensorInfo t && t.dtype().isQuantizable())
                    .map(e -> new GgmlRecipe.Entry(e.name(), e.shapeLong())).toList());
            try (Progress progress = Progress.start(err(), this.progress, "quantize", in.fileSize() - in.dataStart())) {
                for (SafetensorsEntry e : in.entries()) {
                    String name = e.name();
                    noteMatches(name);
                    switch (e) {
                        case QuantizedInfo q -> {
                            skipped(name);
                            specs.add(TensorSpec.quantized(name, q.shape(), q.scheme(), () -> {
                                begin(progress, name);
                                QuantizedTensor t = in.readQuantized(q);
                                progress.advance(q.byteSize());
                                return t;
                            }));
                            kept++;
                        }
                        case TensorInfo t when t.dtype().isQuantizable() && !skipped(name) -> {
                            QuantScheme s = schemeFor(name);
                            if (s == null) {
                                // The recipe's tensor: ggml's quantizer in the GGUF writer, or as it is.
                                specs.add(copyWithProgress(in, t, progress));
                                GgmlType type = plan.get(name);
                                if (type == null) {
                                    copied++;
                                } else {
                                    ggml.put(name, ggmlTensor(in, t, type, progress));
                                    quantized++;
                                }
                                continue;
                            }
                            boolean dataAware = s.calibration() == Calibration.IMATRIX
                                    || s.calibration() == Calibration.GPTQ;
                            if (dataAware && statistics == null) {
                                throw new CliException("tensor '" + name + "' has calibration "
                                        + QuantScheme.token(s.calibration()) + ", which needs input statistics: "
                                        + "give them with --calibration-data FILE, or use --calibration mse (no data "
                                        + "needed)");
                            }
                            float[] importance = dataAware ? statistics.meanSquares(name) : null;
                            double[] moments = s.calibration() == Calibration.GPTQ && t.rank() == 2
                                    ? statistics.secondMoments(name) : null;
                            if (s.calibration() == Calibration.GPTQ && moments == null) {
                                s = s.withCalibration(Calibration.IMATRIX);
                            }
                            if (s.calibration() == Calibration.IMATRIX && importance == null) {
                                s = s.withCalibration(Calibration.MSE);
                                unweighted++;
                            }
                            TensorSpec.Quantized spec = quantizedSpec(in, t, s, importance, moments, quantizers,
                                    progress, unfit);
                            if (spec == null) {
                                specs.add(copyWithProgress(in, t, progress));
                                copied++;
                                continue;
                            }
                            String cost = costlyBlocks(spec);
                            if (cost != null) {
                                costly.add(cost);
                            }
                            specs.add(spec);
                            quantized++;
                        }
                        case TensorInfo t -> {
                            specs.add(copyWithProgress(in, t, progress));
                            copied++;
                        }
                    }
                }
                if (!unfit.isEmpty() && strict) {
                    throw new CliException(unfit.getFirst() + more(unfit) + "; leave such tensors as they are with "
                            + "--skip GLOB, give them a scheme that fits with --rule GLOB=SPEC, or drop --strict to "
                            + "copy them unquantized");
                }
                warnUnmatched();
                if (!unfit.isEmpty()) {
                    note("copied unquantized: " + unfit.getFirst() + more(unfit)
                            + " (--skip GLOB copies them without this note; --strict refuses them)");
                }
                if (!costly.isEmpty()) {
                    warn(costly.getFirst() + more(costly) + "; blocks cut short by small trailing dimensions carry a "
                            + "scale for few weights: give such tensors a smaller block or the tensor level with "
                            + "--rule GLOB=SPEC, or --skip GLOB");
                }
                if (recipe != null) {
                    note(recipe.ggmlName() + ": " + GgmlRecipe.summary(plan));
                }
                write(in, specs, ggml);
            }
        }
        if (!quiet) {
            long outBytes = Files.size(output);
            Terminal.line(err(), String.format(Locale.ROOT, "quantized %d tensors (%d copied, %d already quantized): "
                            + "%s -> %s (%.2fx smaller) in %.1f s, wrote %s", quantized, copied, kept,
                    Sizes.bytes(inBytes), Sizes.bytes(outBytes), (double) inBytes / Math.max(outBytes, 1), elapsed(),
                    output));
            if (unweighted > 0) {
                note(unweighted + " imatrix/gptq tensors had no entry in " + calibrationData
                        + " and were searched unweighted (mse)");
            }
        }
        return Main.OK;
    }

    /**
     * The spec that quantizes a float tensor, or null when the scheme cannot take it (the reason is
     * added to {@code unfit}). Making the spec is the one check of the scheme against the shape.
     */
    private TensorSpec.Quantized quantizedSpec(SafetensorsReader in, TensorInfo t, QuantScheme s, float[] importance,
                                               double[] moments, Map<QuantScheme, Quantizer> quantizers,
                                               Progress progress, List<String> unfit) {
        String name = t.name();
        String subject = "tensor '" + name + "' " + Arrays.toString(t.shape());
        int[] shape = new int[t.rank()];
        for (int i = 0; i < shape.length; i++) {
            long d = t.shape()[i];
            if (d > Integer.MAX_VALUE) {
                unfit.add(subject + " has dimension " + d + ", more than a quantized tensor holds ("
                        + Integer.MAX_VALUE + ")");
                return null;
            }
            shape[i] = (int) d;
        }
        Quantizer quantizer = quantizers.computeIfAbsent(s, Quantizer::new);
        try {
            return TensorSpec.quantized(name, shape, s, () -> {
                begin(progress, name);
                // imatrix weights the search by the statistics, gptq passes errors on; else the quantizer.
                QuantizedTensor q = moments != null
                        ? Gptq.quantize(Kernels.active(), name, in.readFloatTensor(t), s, moments)
                        : importance != null && s.calibration() == Calibration.IMATRIX
                        ? ScaleSearch.quantize(Kernels.active(), name, in.readFloatTensor(t), s, importance)
                        : quantizer.quantize(name, in.readFloatTensor(t));
                progress.advance(t.byteSize());
                return q;
            });
        } catch (InvalidSchemeException e) {
            unfit.add(subject + " cannot take " + s + ": " + SchemeText.problem(e.problems().getFirst()));
        } catch (IllegalArgumentException e) {
            unfit.add(subject + " cannot be quantized: " + e.getMessage());
        }
        return null;
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
        long bytes = size(QuantizedLayout.codesDtype(s), QuantizedLayout.codesShape(shape, s))
                + size(QuantizedLayout.scalesDtype(s.param()), QuantizedLayout.scalesShape(shape, s));
        double actual = bytes * 8.0 / n;
        if (actual < COSTLY_FACTOR * nominal) {
            return null;
        }
        return String.format(Locale.ROOT, "tensor '%s' %s costs %.2f bits per weight under %s, whose nominal is %.2f",
                spec.name(), Arrays.toString(shape), actual, s, nominal);
    }

    private static long size(Dtype dtype, long[] shape) {
        return dtype.byteSize(Arrays.stream(shape).reduce(1, Math::multiplyExact));
    }

    private void warnUnmatched() {
        for (int i = 0; i < rules.size(); i++) {
            if (!ruleUsed[i]) {
                warn("--rule '" + rules.get(i).glob() + "=" + rules.get(i).scheme() + "' matches no tensor of " + input
                        + "; 'quant4j inspect " + input + "' lists the names");
            }
        }
        for (int i = 0; i < skips.size(); i++) {
            if (!skipUsed[i]) {
                warn("--skip '" + skips.get(i) + "' matches no tensor of " + input + "; 'quant4j inspect " + input
                        + "' lists the names");
            }
        }
    }

    /** Writes the file; a name the format needs for a quantized tensor's scales, taken already, is bad input. */
    private void write(SafetensorsReader in, List<TensorSpec> specs, Map<String, GgufWriter.Tensor> ggml)
            throws Exception {
        try {
            GgufFiles.write(output, in.userMetadata(), specs, ggml);
        } catch (TensorNameClashException e) {
            String quantized = e.name().equals(e.first()) ? e.second() : e.first();
            throw new CliException("tensor '" + quantized + "' quantized would store its scales as '" + e.name()
                    + "', but " + input + " has a tensor of that name already; leave it unquantized with --skip '"
                    + Glob.quote(quantized) + "'");
        }
    }

    /** A float tensor quantized by ggml's quantizer for {@code type} when the GGUF writer reaches it. */
    private GgufWriter.Tensor ggmlTensor(SafetensorsReader in, TensorInfo t, GgmlType type, Progress progress) {
        int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
        return GgufWriter.Tensor.quantize(t.name(), shape, type, () -> {
            begin(progress, t.name());
            float[] v = in.readFloatTensor(t).data();
            progress.advance(t.byteSize());
            return v;
        });
    }

    private static String more(List<String> items) {
        return items.size() > 1 ? " (and " + (items.size() - 1) + " more tensors)" : "";
    }
}
