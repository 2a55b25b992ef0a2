package dev.quant4j.cli;

import dev.quant4j.errors.QuantizationException;
import dev.quant4j.io.FileWriteException;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.ShardIndexException;
import dev.quant4j.io.gguf.GgufFormatException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code quant4j} command line. Exit codes: 0 success; 2 bad usage or bad input (one line on
 * stderr saying what and how to fix it); 1 an unexpected internal error. {@code -v} adds the stack trace.
 */
@Command(
        name = "quant4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Quantize, dequantize, inspect and convert safetensors and GGUF model files.",
        subcommands = {
            QuantizeCommand.class,
            DequantizeCommand.class,
            InspectCommand.class,
            ConvertCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    static final int OK = 0;
    static final int INTERNAL_ERROR = 1;
    static final int BAD_INPUT = 2;

    @Option(
            names = {"-v", "--verbose"},
            scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "give a command: quantize, dequantize, inspect or convert");
    }

    /** The command line with quant4j's error handling; tests run it in-process with {@code execute}. */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new Main()));
    }

    /** quant4j's settings and error handling on a command line (tests give it commands of their own). */
    static CommandLine configure(CommandLine cl) {
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(Main::executionError);
        cl.setParameterExceptionHandler(Main::usageError);
        return cl;
    }

    public static void main(String... args) {
        System.exit(execute(commandLine(), args));
    }

    /**
     * Runs a command line, then checks that standard output took everything: {@link PrintWriter} and
     * {@link System#out} swallow write errors, so {@code inspect > /dev/full} would otherwise exit 0
     * with its report lost.
     */
    static int execute(CommandLine cl, String... args) {
        int code = cl.execute(args);
        PrintWriter out = cl.getOut();
        out.flush();
        System.out.flush();
        if (out.checkError() || System.out.checkError()) {
            PrintWriter err = cl.getErr();
            err.println("quant4j: could not write to standard output (a full disk or a closed pipe?); what it "
                    + "printed is incomplete");
            err.flush();
            return code == OK ? INTERNAL_ERROR : code;
        }
        return code;
    }

    private static String commandName(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = commandName(cmd);
        Terminal.line(err, name + ": " + oneLine(e.getMessage()) + " (see '" + name + " --help')");
        err.flush();
        return BAD_INPUT;
    }

    private static int executionError(Exception e, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        boolean verbose = verbose(parsed);
        String name = commandName(cmd);
        int code = isBadInput(e) ? BAD_INPUT : INTERNAL_ERROR;
        if (code == BAD_INPUT) {
            Terminal.line(err, name + ": " + badInputMessage(e));
        } else if (e instanceof EnvironmentException) {
            // Says what happened and what to do; a stack trace would not help.
            Terminal.line(err, name + ": " + oneLine(e.getMessage()));
        } else if (e instanceof FileWriteException) {
            // The writer has removed its temporary file and left the destination as it was.
            Terminal.line(err, name + ": " + oneLine(e.getMessage()) + "; nothing was written");
        } else {
            Terminal.line(
                    err,
                    name + ": internal error: " + oneLine(String.valueOf(e))
                            + (verbose ? "" : " (run with -v for the stack trace)"));
        }
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** Faults of the input or the arguments, as opposed to faults of quant4j or its environment. */
    static boolean isBadInput(Throwable e) {
        return e instanceof CliException
                || e instanceof SafetensorsFormatException
                || e instanceof GgufFormatException
                || e instanceof ShardIndexException
                || e instanceof QuantizationException
                || e instanceof FileSystemException
                || e instanceof IllegalArgumentException
                        && e.getClass().getPackageName().startsWith("dev.quant4j.scheme");
    }

    private static String badInputMessage(Throwable e) {
        if (e instanceof NoSuchFileException f) {
            return "no such file or folder: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        return oneLine(e.getMessage());
    }

    private static String oneLine(String s) {
        return String.valueOf(s).replace('\n', ' ').strip();
    }

    /** The version from the jar's manifest, or "development build" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "quant4j " + (v == null ? "(development build)" : v),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
