package dev.quant4j.cli;

import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.spark.BadCheckpointException;
import dev.quant4j.spark.ShardedQuantizer;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    @Mixin
    SchemeOptions schemes;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[2]; default: spark-submit's, else local[*].")
    String master;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the summary line.")
    boolean quiet;

    /** The scheme the CLI gives a float tensor: null when a --skip matches, else the first --rule, else --scheme. */
    QuantScheme schemeFor(String name) {
        return schemes.skipped(name) ? null : schemes.schemeFor(name);
    }

    /** The options that decide the output's bytes, for the per-shard completion digest. */
    String optionsText() {
        StringBuilder b = new StringBuilder("scheme=").append(schemes.scheme);
        schemes.rules.forEach(r -> b.append(" rule=").append(r.glob()).append('=').append(r.scheme()));
        schemes.skips.forEach(g -> b.append(" skip=").append(g));
        return b.toString();
    }

    @Override
    int execute() throws Exception {
        SparkConf conf = new SparkConf().setAppName("quant4j spark quantize");
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        ShardedQuantizer.Result r;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            r = ShardedQuantizer.run(sc, input, output, this::schemeFor, schemes.strict, optionsText());
        } catch (BadCheckpointException e) {
            throw new CliException(e.getMessage());
        }
        if (!r.unfit().isEmpty()) {
            note(schemes.unfit(r.unfit()));
        }
        if (!quiet) {
            Terminal.line(err(), String.format(Locale.ROOT, "quantized %d tensors (%d copied, %d already quantized) "
                            + "in %d shards (%d complete already): %s -> %s (%.2fx smaller) in %.1f s, wrote %s",
                    r.quantized(), r.copied(), r.kept(), r.shards(), r.shardsSkipped(), Sizes.bytes(r.inBytes()),
                    Sizes.bytes(r.outBytes()), (double) r.inBytes() / Math.max(r.outBytes(), 1), elapsed(), output));
        }
        return Main.OK;
    }
}
