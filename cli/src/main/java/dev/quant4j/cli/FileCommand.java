package dev.quant4j.cli;

import dev.quant4j.io.FileChangedException;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What the file commands share: output streams, the progress option, heap exhaustion as a clear error. */
abstract class FileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--progress",
            defaultValue = "auto",
            paramLabel = "WHEN",
            description = "Progress bar on stderr: auto (only when stderr is a terminal), always, never. "
                    + "Default: ${DEFAULT-VALUE}.")
    Progress.Mode progress;

    /** The tensor being worked on, for the out-of-heap message. */
    volatile String currentTensor;

    private final long started = System.nanoTime();

    /** The progress bar of the run, once started. */
    private Progress bar;

    /** Seconds since the command was created. */
    double elapsed() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** Starts the run's progress bar ({@code total} bytes of work); the caller closes it. */
    Progress startProgress(String verb, long total) {
        bar = Progress.start(err(), progress, verb, total);
        return bar;
    }

    /** Notes the tensor now being worked on. */
    void begin(String name) {
        currentTensor = name;
        if (bar != null) {
            bar.working(name);
        }
    }

    /** Notes the tensor now being worked on, on a progress bar of the caller's. */
    void begin(Progress progress, String name) {
        currentTensor = name;
        progress.working(name);
    }

    /** Reports bytes of input done to the progress bar. */
    void advance(long bytes) {
        if (bar != null) {
            bar.advance(bytes);
        }
    }

    /** A read that reports itself: the tensor's name when it starts, its bytes when it is done. */
    <T> TensorSpec.Producer<T> tracked(String name, long bytes, TensorSpec.Producer<T> read) {
        return () -> {
            begin(name);
            T value = read.get();
            advance(bytes);
            return value;
        };
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The safetensors files this command has mapped, to name the one that changed if a read faults. */
    private final List<SafetensorsReader> mapped = new ArrayList<>();

    /** The inputs this command has opened, closed when it ends. */
    private final List<InputFile> inputs = new ArrayList<>();

    /** Opens a safetensors input; every one goes through here. */
    SafetensorsReader open(Path file) throws IOException {
        SafetensorsReader r = SafetensorsReader.open(file);
        mapped.add(r);
        return r;
    }

    /**
     * Opens an input: a safetensors or GGUF file, or each shard of a sharded checkpoint (a folder with
     * model.safetensors.index.json, or the index), in the index's order. Closed when the command ends.
     * {@code exactTwins} as for {@link InputFile#open}.
     */
    List<InputFile> openInputs(Path input, boolean exactTwins) throws IOException {
        List<Path> files = ShardedCheckpoint.isSharded(input)
                ? ShardedCheckpoint.open(input).shards()
                : List.of(input);
        List<InputFile> out = new ArrayList<>();
        for (Path f : files) {
            InputFile in = InputFile.open(f, this, exactTwins);
            inputs.add(in);
            out.add(in);
        }
        return out;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } catch (OutOfMemoryError e) {
            throw new OutOfHeapException(currentTensor, e);
        } catch (FileChangedException e) {
            throw changed(e);
        } catch (InternalError e) {
            // A read of a mapped file that has since shrunk faults; the reader names the file where it
            // can, and this catches the reads it does not make itself.
            for (SafetensorsReader r : mapped) {
                try {
                    r.throwIfTruncated(e);
                } catch (FileChangedException c) {
                    throw changed(c);
                }
            }
            throw e;
        } finally {
            for (InputFile in : inputs) {
                in.close();
            }
            inputs.clear();
        }
    }

    private EnvironmentException changed(FileChangedException e) {
        return new EnvironmentException(
                e.getMessage() + (currentTensor == null ? "" : " (at tensor '" + currentTensor + "')")
                        + "; nothing was written. Let whatever writes the file finish, then run again",
                e);
    }

    /** A warning line on stderr: {@code quant4j COMMAND: warning: TEXT}. */
    void warn(String text) {
        Terminal.line(err(), spec.qualifiedName() + ": warning: " + text);
    }

    /** A note line on stderr: something done that the user may not expect. */
    void note(String text) {
        Terminal.line(err(), spec.qualifiedName() + ": note: " + text);
    }

    abstract int execute() throws Exception;

    /** Refuses to write over the input: the rename would replace the file being read. */
    static void checkDistinct(Path input, Path output) throws IOException {
        if (Files.exists(output) && Files.exists(input) && Files.isSameFile(input, output)) {
            throw new CliException("OUT " + output + " is the input file; write to a new file");
        }
    }

    /** Prints the reader's notes (unused bytes) as warnings. */
    void printWarnings(SafetensorsReader reader) {
        for (String w : reader.warnings()) {
            warn(reader.file() + ": " + w);
        }
    }

    /** The dimensions as ints, or a bad-input error naming the tensor. */
    static int[] intShape(String name, long[] shape) {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new CliException("tensor '" + name + "' has dimension " + shape[i]
                        + ", more than quant4j's tensors hold (" + Integer.MAX_VALUE + ")");
            }
            out[i] = (int) shape[i];
        }
        return out;
    }
}
