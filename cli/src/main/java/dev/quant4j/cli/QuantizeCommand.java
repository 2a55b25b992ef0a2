package dev.quant4j.cli;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.Gptq;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.scheme.SchemeProblem;
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
import java.util.List;
import java.util.Locale;

/**
 * Quantizes every F32/F16/BF16 tensor of a file. Streams: each tensor is read from the mapped input,
 * quantized and written before the next is read, so the heap needs to hold about one tensor.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize every float tensor (F32, F16, BF16) of a safetensors file.",
                "The scheme of a tensor is the first --rule whose glob matches its name, else --scheme. "
                        + "Tensors matched by --skip, non-float tensors and tensors already quantized are "
                        + "copied unchanged.",
                "SPEC is a scheme in text form, e.g. q4f:block32:f16:u32, q8s, e4m3:block2x16:bf16, "
                        + "e2m1:block32:ue8m0.",
                "Globs match whole tensor names: * any characters (dots included), ? one character, "
                        + "[abc] a set, {a,b} alternatives."})
final class QuantizeCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The safetensors file to read.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write (replaced atomically).")
    Path output;

    @Option(names = "--scheme", required = true, paramLabel = "SPEC", converter = Converters.SchemeConverter.class,
            description = "Scheme for float tensors no --rule matches.")
    QuantScheme scheme;

    @Option(names = "--rule", paramLabel = "GLOB=SPEC", converter = Converters.RuleConverter.class,
            description = "Scheme for tensors whose name matches GLOB; the first matching rule wins. Repeatable.")
    List<Converters.Rule> rules = new ArrayList<>();

    @Option(names = "--skip", paramLabel = "GLOB", converter = Converters.GlobConverter.class,
            description = "Leave tensors whose name matches GLOB as they are. Repeatable.")
    List<Glob> skips = new ArrayList<>();

    @Option(names = "--calibration", paramLabel = "NAME", converter = CalibrationConverter.class,
            description = "How the weights' scales are chosen, for --scheme and every --rule: minmax, mse (a "
                    + "data-free search for the smallest squared error), imatrix (the search weighted by "
                    + "--calibration-data) or gptq (error feedback through the inputs' second moments, which "
                    + "--calibration-data must hold; else imatrix). Without it each SPEC's own (e.g. q4f:block32:f16:mse; default minmax).")
    Calibration calibration;

    @Option(names = "--calibration-data", paramLabel = "FILE",
            description = "Input statistics for imatrix: the mean square of each input of each linear layer, "
                    + "recorded on calibration data, keyed by tensor name (a safetensors file written by "
                    + "InputStatistics.save). Tensors it has no entry for are searched unweighted (mse).")
    Path calibrationData;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

    QuantScheme schemeFor(String name) {
        QuantScheme s = scheme;
        for (Converters.Rule r : rules) {
            if (r.glob().matches(name)) {
                s = r.scheme();
                break;
            }
        }
        return calibration == null ? s : s.withCalibration(calibration);
    }

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

    boolean skipped(String name) {
        return skips.stream().anyMatch(g -> g.matches(name));
    }

    @Override
    int execute() throws Exception {
        checkDistinct(input, output);
        int quantized = 0;
        int kept = 0;
        int copied = 0;
        int unweighted = 0;
        long inBytes;
        InputStatistics statistics = calibrationData == null ? null : InputStatistics.load(calibrationData);
        try (SafetensorsReader in = SafetensorsReader.open(input)) {
            printWarnings(in);
            inBytes = in.fileSize();
            List<String> problems = new ArrayList<>();
            List<TensorSpec> specs = new ArrayList<>();
            try (Progress progress = Progress.start(err(), this.progress, "quantize", in.fileSize() - in.dataStart())) {
                for (SafetensorsEntry e : in.entries()) {
                    String name = e.name();
                    switch (e) {
                        case QuantizedInfo q -> {
                            specs.add(TensorSpec.quantized(name, q.shape(), q.scheme(), () -> {
                                begin(progress, name);
                                QuantizedTensor t = in.readQuantized(q);
                                progress.advance(q.byteSize());
                                return t;
                            }));
                            kept++;
                        }
                        case TensorInfo t when t.dtype().isQuantizable() && !skipped(name) -> {
                            QuantScheme planned = schemeFor(name);
                            float[] importance = statistics == null ? null : statistics.meanSquares(name);
                            boolean dataAware = planned.calibration() == Calibration.IMATRIX
                                    || planned.calibration() == Calibration.GPTQ;
                            if (dataAware && statistics == null) {
                                throw new CliException("tensor '" + name + "' has calibration "
                                        + QuantScheme.token(planned.calibration()) + ", which needs input statistics: "
                                        + "give them with --calibration-data FILE, or use --calibration mse (no data "
                                        + "needed)");
                            }
                            double[] moments = planned.calibration() == Calibration.GPTQ
                                    && t.shape().length == 2 ? statistics.secondMoments(name) : null;
                            if (planned.calibration() == Calibration.GPTQ && moments == null) {
                                planned = planned.withCalibration(Calibration.IMATRIX);
                            }
                            if (planned.calibration() == Calibration.IMATRIX && importance == null) {
                                planned = planned.withCalibration(Calibration.MSE);
                                unweighted++;
                            }
                            QuantScheme s = planned;
                            int[] shape = intShape(name, t.shape());
                            List<SchemeProblem> p = s.problemsFor(shape);
                            if (!p.isEmpty()) {
                                problems.add("tensor '" + name + "' " + Arrays.toString(shape) + " cannot take " + s
                                        + ": " + p.getFirst().message());
                                continue;
                            }
                            specs.add(TensorSpec.quantized(name, shape, s, () -> {
                                begin(progress, name);
                                QuantizedTensor q = moments != null
                                        ? Gptq.quantize(Kernels.active(), name, in.readFloatTensor(t), s, moments)
                                        : ScaleSearch.quantize(Kernels.active(), name, in.readFloatTensor(t), s,
                                        importance);
                                progress.advance(t.byteSize());
                                return q;
                            }));
                            quantized++;
                        }
                        case TensorInfo t -> {
                            specs.add(copyWithProgress(in, t, progress));
                            copied++;
                        }
                    }
                }
                if (!problems.isEmpty()) {
                    throw new CliException(problems.getFirst() + (problems.size() > 1 ? " (and " + (problems.size() - 1)
                            + " more tensors)" : "") + "; leave such tensors as they are with --skip GLOB or give them "
                            + "a scheme that fits with --rule GLOB=SPEC");
                }
                SafetensorsWriter.write(output, in.userMetadata(), specs);
            }
        }
        if (!quiet) {
            long outBytes = Files.size(output);
            err().println(String.format(Locale.ROOT, "quantized %d tensors (%d copied, %d already quantized): %s -> %s "
                            + "(%.2fx smaller) in %.1f s, wrote %s", quantized, copied, kept, Sizes.bytes(inBytes),
                    Sizes.bytes(outBytes), (double) inBytes / Math.max(outBytes, 1), elapsed(), output));
            if (unweighted > 0) {
                err().println(unweighted + " imatrix/gptq tensors had no entry in " + calibrationData
                        + " and were searched unweighted (mse)");
            }
        }
        return Main.OK;
    }
}
