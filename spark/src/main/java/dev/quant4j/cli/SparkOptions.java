package dev.quant4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/** The options every {@code quant4j spark} command has ({@code @Mixin}): where Spark runs, and the summary line. */
final class SparkOptions {
    @Option(
            names = "--master",
            paramLabel = "URL",
            description = "Spark master, e.g. local[2]; default: spark-submit's, else local[*].")
    String master;

    @Option(
            names = {"-q", "--quiet"},
            description = "Do not print the summary line.")
    boolean quiet;

    /** A Spark context on {@code --master} (else spark-submit's, else local[*]); the caller closes it. */
    JavaSparkContext context(String appName) {
        return SparkMain.context(master, appName);
    }

    /** The command's summary line ({@code String.format} in {@link Locale#ROOT}) on {@code err}, unless --quiet. */
    void summary(PrintWriter err, String format, Object... args) {
        if (!quiet) {
            Terminal.line(err, String.format(Locale.ROOT, format, args));
        }
    }
}
