package dev.quant4j.cli;

import dev.quant4j.annotations.Calibration;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.spark.BadCheckpointException;
import dev.quant4j.spark.ShardedQuantizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quant4j spark quantize IN OUT}: {@code quant4j quantize} for every shard of a checkpoint folder,
 * one Spark task per tensor; each output shard has the bytes the CLI writes for that shard.
 */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        description = {
            "Quantize every float tensor of a sharded checkpoint (a folder with "
                    + "model.safetensors.index.json, or of *.safetensors files) on Apache Spark.",
            "Options and their meaning are those of 'quant4j quantize'; IN and OUT are folders, in any file "
                    + "system Hadoop reads (file:, hdfs:, s3a:)."
        })
final class SparkQuantizeCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The checkpoint folder to read.")
    String input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The folder to write the shards (and index) to.")
    String output;

    @Mixin
    SchemeOptions schemes;

    @Option(
            names = "--calibration",
            paramLabel = "NAME",
            converter = QuantizeCommand.CalibrationConverter.class,
            description = "How the weights' scales are chosen, for --scheme and every --rule: minmax, mse, imatrix "
                    + "or gptq (as 'quant4j quantize --calibration'). Without it each SPEC's own.")
    Calibration calibration;

    @Option(
            names = "--calibration-data",
            paramLabel = "FILE",
            description = "Input statistics for imatrix and "
                    + "gptq ('quant4j spark calibrate --statistics' writes them); a Hadoop path. Read by the driver and "
                    + "broadcast to the executors.")
    String calibrationData;

    @Mixin
    SparkOptions spark;

    /** The scheme the CLI gives a float tensor: null when a --skip matches, else the first --rule, else --scheme. */
    QuantScheme schemeFor(String name) {
        if (schemes.skipped(name)) {
            return null;
        }
        QuantScheme s = schemes.schemeFor(name);
        return calibration == null ? s : s.withCalibration(calibration);
    }

    /** The CLI's marks for the unmatched-glob warnings: every stored name is tried on the rules and skips. */
    void seen(String name) {
        schemes.noteMatches(name);
        schemes.skipped(name);
    }

    /** The options that decide the output's bytes, for the per-shard completion digest. */
    String optionsText(String statisticsDigest) {
        StringBuilder b = new StringBuilder("scheme=").append(schemes.scheme.scheme());
        schemes.rules.forEach(
                r -> b.append(" rule=").append(r.glob()).append('=').append(r.scheme()));
        schemes.skips.forEach(g -> b.append(" skip=").append(g));
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
        if (schemes.recipe() != null) {
            throw new CliException("--scheme " + schemes.recipe().ggmlName() + " is a ggml K-quant, which only a .gguf "
                    + "file holds; spark quantize writes safetensors shards: give one of our schemes, or run "
                    + "'quant4j quantize IN OUT.gguf --scheme "
                    + schemes.recipe().ggmlName() + "'");
        }
        ShardedQuantizer.Result r;
        try (JavaSparkContext sc = spark.context("quant4j spark quantize")) {
            ShardedQuantizer.CalibrationData data = calibrationData == null
                    ? null
                    : ShardedQuantizer.CalibrationData.load(sc.hadoopConfiguration(), calibrationData);
            r = ShardedQuantizer.run(
                    sc,
                    input,
                    output,
                    new ShardedQuantizer.SchemeChoice() {
                        @Override
                        public QuantScheme schemeFor(String tensorName) {
                            return SparkQuantizeCommand.this.schemeFor(tensorName);
                        }

                        @Override
                        public void seen(String tensorName) {
                            SparkQuantizeCommand.this.seen(tensorName);
                        }
                    },
                    data == null ? null : data.statistics(),
                    optionsText(data == null ? null : data.digest()),
                    warnings -> warnings.forEach(this::warn),
                    this::beforeWrite);
        } catch (BadCheckpointException e) {
            throw new CliException(e.getMessage());
        }
        spark.summary(
                err(),
                "quantized %d tensors (%d copied, %d already quantized) "
                        + "in %d shards (%d complete already): %s -> %s (%.2fx smaller) in %.1f s, wrote %s",
                r.quantized(),
                r.copied(),
                r.kept(),
                r.shards(),
                r.shardsSkipped(),
                Sizes.bytes(r.inBytes()),
                Sizes.bytes(r.outBytes()),
                (double) r.inBytes() / Math.max(r.outBytes(), 1),
                elapsed(),
                output);
        if (!spark.quiet && r.unweighted() > 0) {
            note(r.unweighted() + " imatrix/gptq tensors had no entry in " + calibrationData
                    + " and were searched unweighted (mse)");
        }
        return Main.OK;
    }

    /** The CLI's refusal (--strict), warnings and notes, in its order, before any shard is written. */
    private void beforeWrite(ShardedQuantizer.Result plan) {
        String unfitNote = schemes.unfit(plan.unfit());
        schemes.unmatched(input).forEach(this::warn);
        if (unfitNote != null) {
            note(unfitNote);
        }
        List<String> costly = new ArrayList<>();
        for (var spec : plan.quantizedSpecs()) {
            String cost = QuantizeCommand.costlyBlocks(spec);
            if (cost != null) {
                costly.add(cost);
            }
        }
        if (!costly.isEmpty()) {
            warn(costly.getFirst() + SchemeOptions.more(costly) + "; blocks cut short by small trailing dimensions "
                    + "carry a scale for few weights: give such tensors a smaller block or the tensor level with "
                    + "--rule GLOB=SPEC, or --skip GLOB");
        }
    }
}
