package dev.quant4j.cli;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.spark.CalibrationException;
import dev.quant4j.spark.CalibrationJob;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code quant4j spark calibrate DATA --source CLASS}: the input statistics (and activation observers) of a
 * model's layers on a calibration set, recorded on Spark's executors chunk by chunk and merged on the
 * driver into the file {@code quant4j quantize --calibration-data} reads.
 */
@Command(
        name = "calibrate",
        mixinStandardHelpOptions = true,
        description = {
            "Record the input statistics of a model's linear layers on a calibration set (a text file, "
                    + "or a folder of them, one record a line) on Apache Spark: one task per chunk of the data, merged "
                    + "on the driver in chunk order, so the result does not depend on the cluster.",
            "The model is a CalibrationSource class (dev.quant4j.calibrate) on the class path."
        })
final class SparkCalibrateCommand extends FileCommand {
    @Parameters(
            index = "0",
            paramLabel = "DATA",
            description = "The calibration records: a file, or a folder of files.")
    String data;

    @Option(
            names = "--source",
            required = true,
            paramLabel = "CLASS",
            description = "The CalibrationSource implementation that runs a record through the model.")
    String source;

    @Option(
            names = "--source-option",
            paramLabel = "KEY=VALUE",
            description = "An option for the source " + "(e.g. where its model is). Repeatable.")
    Map<String, String> sourceOptions = new LinkedHashMap<>();

    @Option(
            names = "--statistics",
            paramLabel = "FILE",
            description = "Write the input statistics (mean squares "
                    + "per input) here, the file 'quant4j quantize --calibration-data' reads.")
    String statistics;

    @Option(
            names = "--second-moments",
            description = "Also record the inputs' second moments E[x x^T] (for "
                    + "--calibration gptq): cols^2/2 sums per layer.")
    boolean secondMoments;

    @Option(
            names = "--activations",
            paramLabel = "METHOD",
            converter = ActivationConverter.class,
            description = "Observe the inputs with minmax, percentile or entropy and freeze one int8 scale per "
                    + "layer (movingminmax does not merge and is refused).")
    ActivationCalibration activations;

    @Option(
            names = "--activation-scales",
            paramLabel = "FILE",
            description =
                    "Write the frozen activation scales "
                            + "here (PATH.__activation_scale tensors, as ModelFiles.loadActivationScales reads). Needs --activations.")
    String activationScales;

    @Option(
            names = "--chunk-bytes",
            paramLabel = "N",
            defaultValue = "1048576",
            description = "Bytes of the data "
                    + "per task; part of the result (the sums are added chunk by chunk). Default: ${DEFAULT-VALUE}.")
    long chunkBytes;

    @Mixin
    SparkOptions spark;

    @Option(
            names = "--in-process",
            description = "Record in this process, chunk after chunk, without Spark " + "(the same result).")
    boolean inProcess;

    /** {@code minmax}, {@code movingminmax}, {@code percentile} or {@code entropy}. */
    static final class ActivationConverter implements ITypeConverter<ActivationCalibration> {
        @Override
        public ActivationCalibration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            for (ActivationCalibration c : ActivationCalibration.values()) {
                if (v.equals(QuantScheme.token(c))) {
                    return c;
                }
            }
            throw new TypeConversionException(
                    "'" + value + "' is not an activation calibration; use minmax, " + "percentile or entropy");
        }
    }

    @Override
    int execute() throws Exception {
        if (statistics == null && activationScales == null) {
            throw new CliException("nothing to write: give --statistics FILE, --activation-scales FILE, or both");
        }
        if ((activations == null) != (activationScales == null)) {
            throw new CliException(
                    activations == null
                            ? "--activation-scales needs --activations METHOD"
                            : "--activations needs --activation-scales FILE to write the scales to");
        }
        CalibrationJob.Settings settings =
                new CalibrationJob.Settings(source, sourceOptions, secondMoments, activations, chunkBytes);
        CalibrationJob.Result r;
        try {
            if (inProcess) {
                Configuration conf = new Configuration();
                r = CalibrationJob.runInProcess(conf, data, settings);
                write(conf, r);
            } else {
                try (JavaSparkContext sc = spark.context("quant4j spark calibrate")) {
                    r = CalibrationJob.run(sc, data, settings);
                    write(sc.hadoopConfiguration(), r);
                }
            }
        } catch (CalibrationException e) {
            throw new CliException(e.getMessage());
        }
        spark.summary(
                err(),
                "recorded %d records in %d chunks: %d layers%s%s in %.1f s",
                r.records(),
                r.chunks(),
                r.inputs().paths().size(),
                statistics == null
                        ? ""
                        : ", statistics" + (secondMoments ? " with second moments" : "") + " -> " + statistics,
                activationScales == null
                        ? ""
                        : ", activation scales (" + QuantScheme.token(activations) + ") -> " + activationScales,
                elapsed());
        return Main.OK;
    }

    private void write(Configuration conf, CalibrationJob.Result r) throws java.io.IOException {
        if (r.records() == 0 || r.inputs().paths().isEmpty()) {
            throw new CliException(data + " gave no layer inputs (" + r.records() + " records); check the data "
                    + "and that " + source + " reports its layers to the sink");
        }
        if (statistics != null) {
            CalibrationJob.writeStatistics(conf, statistics, r.inputs());
        }
        if (activationScales != null) {
            CalibrationJob.writeActivationScales(conf, activationScales, r, activations);
        }
    }
}
