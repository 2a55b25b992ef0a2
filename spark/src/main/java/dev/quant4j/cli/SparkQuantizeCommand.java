package dev.quant4j.cli;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.spark.BadCheckpointException;
import dev.quant4j.spark.ShardedQuantizer;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code quant4j spark quantize IN OUT}: {@code quant4j quantize} for every shard of a checkpoint folder,
 * one Spark task per tensor; each output shard has the bytes the CLI writes for that shard.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize every float tensor of a sharded checkpoint (a folder with "
                + "model.safetensors.index.json, or of *.safetensors files) on Apache Spark.",
                "Options and their meaning are those of 'quant4j quantize'; IN and OUT are folders, in any file "
                        + "system Hadoop reads (file:, hdfs:, s3a:)."})
final class SparkQuantizeCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The checkpoint folder to read.")
    String input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The folder to write the shards (and index) to.")
    String output;

    @Option(names = "--scheme", required = true, paramLabel = "SPEC", converter = Converters.SchemeConverter.class,
            description = "Scheme for float tensors no --rule matches.")
    QuantScheme scheme;

    @Option(names = "--rule", paramLabel = "GLOB=SPEC", converter = Converters.RuleConverter.class,
            description = "Scheme for tensors whose name matches GLOB; the first matching rule wins. Repeatable.")
    List<Converters.Rule> rules = new ArrayList<>();

    @Option(names = "--skip", paramLabel = "GLOB", converter = Converters.GlobConverter.class,
            description = "Leave tensors whose name matches GLOB as they are. Repeatable.")
    List<Glob> skips = new ArrayList<>();

    @Option(names = "--strict", description = "Refuse a float tensor that its scheme cannot take.")
    boolean strict;

    @Option(names = "--calibration", paramLabel = "NAME", converter = QuantizeCommand.CalibrationConverter.class,
            description = "How the weights' scales are chosen, for --scheme and every --rule: minmax, mse, imatrix "
                    + "or gptq (as 'quant4j quantize --calibration'). Without it each SPEC's own.")
    Calibration calibration;

    @Option(names = "--calibration-data", paramLabel = "FILE", description = "Input statistics for imatrix and "
            + "gptq ('quant4j spark calibrate --statistics' writes them); a Hadoop path. Read by the driver and "
            + "broadcast to the executors.")
    String calibrationData;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2]; default: spark-submit's, else local[*].")
    String master;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

    /** Whether each --rule and --skip matched a tensor name anywhere in the checkpoint, as the CLI tracks. */
    private boolean[] ruleUsed;
    private boolean[] skipUsed;

    /** The scheme the CLI gives a float tensor: null when a --skip matches, else the first --rule, else --scheme. */
    QuantScheme schemeFor(String name) {
        for (Glob g : skips) {
            if (g.matches(name)) {
                return null;
            }
        }
        QuantScheme s = scheme;
        for (Converters.Rule r : rules) {
            if (r.glob().matches(name)) {
                s = r.scheme();
                break;
            }
        }
        return calibration == null ? s : s.withCalibration(calibration);
    }

    /** Marks the rules a name matches, and the skips (for the tensors the CLI tries --skip on). */
    void seen(String name, boolean skippable) {
        for (int i = 0; i < rules.size(); i++) {
            ruleUsed[i] |= rules.get(i).glob().matches(name);
        }
        for (int i = 0; i < skips.size(); i++) {
            skipUsed[i] |= skippable && skips.get(i).matches(name);
        }
    }

    /** The options that decide the output's bytes, for the per-shard completion digest. */
    String optionsText(String statisticsDigest) {
        StringBuilder b = new StringBuilder("scheme=").append(scheme);
        rules.forEach(r -> b.append(" rule=").append(r.glob()).append('=').append(r.scheme()));
        skips.forEach(g -> b.append(" skip=").append(g));
        if (calibration != null) {
            b.append(" calibration=").append(QuantScheme.token(calibration));
        }
        if (statisticsDigest != null) {
            b.append(" calibration-data=").append(statisticsDigest);
        }
        return b.toString();
    }

    @Override
    int execute() throws Exception {
        ruleUsed = new boolean[rules.size()];
        skipUsed = new boolean[skips.size()];
        ShardedQuantizer.Result r;
        try (JavaSparkContext sc = SparkMain.context(master, "quant4j spark quantize")) {
            ShardedQuantizer.CalibrationData data = calibrationData == null ? null
                    : ShardedQuantizer.CalibrationData.load(sc.hadoopConfiguration(), calibrationData);
            r = ShardedQuantizer.run(sc, input, output, new ShardedQuantizer.SchemeChoice() {
                @Override
                public QuantScheme schemeFor(String tensorName) {
                    return SparkQuantizeCommand.this.schemeFor(tensorName);
                }

                @Override
                public void seen(String tensorName, boolean skippable) {
                    SparkQuantizeCommand.this.seen(tensorName, skippable);
                }
            }, strict, data == null ? null : data.statistics(), optionsText(data == null ? null : data.digest()),
                    warnings -> warnings.forEach(this::warn), this::beforeWrite);
        } catch (BadCheckpointException e) {
            throw new CliException(e.getMessage());
        }
        if (!quiet) {
            Terminal.line(err(), String.format(Locale.ROOT, "quantized %d tensors (%d copied, %d already quantized) "
                            + "in %d shards (%d complete already): %s -> %s (%.2fx smaller) in %.1f s, wrote %s",
                    r.quantized(), r.copied(), r.kept(), r.shards(), r.shardsSkipped(), Sizes.bytes(r.inBytes()),
                    Sizes.bytes(r.outBytes()), (double) r.inBytes() / Math.max(r.outBytes(), 1), elapsed(), output));
            if (r.unweighted() > 0) {
                note(r.unweighted() + " imatrix/gptq tensors had no entry in " + calibrationData
                        + " and were searched unweighted (mse)");
            }
        }
        return Main.OK;
    }

    /** The CLI's warnings and notes, in its order, once the decisions are made and before any shard is written. */
    private void beforeWrite(ShardedQuantizer.Result plan) {
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
        List<String> unfit = plan.unfit();
        if (!unfit.isEmpty()) {
            note("copied unquantized: " + unfit.getFirst() + more(unfit)
                    + " (--skip GLOB copies them without this note; --strict refuses them)");
        }
        List<String> costly = new ArrayList<>();
        for (var spec : plan.quantizedSpecs()) {
            String cost = QuantizeCommand.costlyBlocks(spec);
            if (cost != null) {
                costly.add(cost);
            }
        }
        if (!costly.isEmpty()) {
            warn(costly.getFirst() + more(costly) + "; blocks cut short by small trailing dimensions carry a "
                    + "scale for few weights: give such tensors a smaller block or the tensor level with "
                    + "--rule GLOB=SPEC, or --skip GLOB");
        }
    }

    private static String more(List<String> items) {
        return items.size() > 1 ? " (and " + (items.size() - 1) + " more tensors)" : "";
    }
}
