package dev.quant4j.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code quant4j spark ...}: the Spark commands, with the CLI's option types and error handling (this
 * class sits in the CLI's package, in the spark module, so the CLI jar needs no Spark on its class path).
 */
@Command(
        name = "quant4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "quant4j on Apache Spark.",
        subcommands = SparkMain.Spark.class)
public final class SparkMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "give a command: spark quantize or spark calibrate");
    }

    @Command(
            name = "spark",
            mixinStandardHelpOptions = true,
            description = "Run a command on Apache Spark.",
            subcommands = {SparkQuantizeCommand.class, SparkCalibrateCommand.class})
    static final class Spark implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "give a command: quantize or calibrate");
        }
    }

    /** A Spark context for a command: {@code master} if given, else spark-submit's, else local[*]. */
    static JavaSparkContext context(String master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        return sc;
    }

    /** The command line with quant4j's error handling; tests run it in-process. */
    public static CommandLine commandLine() {
        return Main.configure(new CommandLine(new SparkMain()));
    }

    public static void main(String... args) {
        System.exit(Main.execute(commandLine(), args));
    }
}
