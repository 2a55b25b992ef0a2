package dev.quant4j.cli;

import dev.quant4j.io.FileChangedException;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** What the file commands share: output streams, the progress option, heap exhaustion as a clear error. */
abstract class FileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "WHEN",
            description = "Progress bar on stderr: auto (only when stderr is a terminal), always, never. "
                    + "Default: ${DEFAULT-VALUE}.")
    Progress.Mode progress;

    /** The tensor being worked on, for the out-of-heap message. */
    volatile String currentTensor;

    private final long started = System.nanoTime();

    /** Seconds since the command was created. */
    double elapsed() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** Notes the tensor now being worked on. */
    void begin(Progress progress, String name) {
        currentTensor = name;
        progress.working(name);
    }

    /** A tensor copied to the output as it is, reported to the progress bar when the writer reaches it. */
    TensorSpec.Raw copyWithProgress(SafetensorsReader in, TensorInfo t, Progress progress) {
        TensorSpec.Raw copy = TensorSpec.copyOf(in, t);
        return new TensorSpec.Raw(t.name(), t.dtype(), t.shape(), sink -> {
            begin(progress, t.name());
            copy.source().writeTo(sink);
            progress.advance(t.byteSize());
        });
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The files this command has mapped, to name the one that changed if a read faults. */
    private final List<SafetensorsReader> opened = new ArrayList<>();

    /** Opens an input; every input goes through here. */
    SafetensorsReader open(Path file) throws IOException {
        SafetensorsReader r = SafetensorsReader.open(file);
        opened.add(r);
        return r;
    }

    /** The input a command can run shard by shard, or null when it cannot. */
    Path shardableInput() {
        return null;
    }

    /** The output of a shard-by-shard run: a folder; null for a command that writes nothing (inspect). */
    Path shardOutput() {
        return null;
    }

    /** Points the command at one shard and its output file. */
    void retarget(Path input, Path output) {
        throw new UnsupportedOperationException();
    }

    /**
     * A sharded checkpoint (a folder with model.safetensors.index.json, or the index): the command runs
     * on each shard in turn, so memory holds about one tensor as for one file, writing a folder with the
     * same shard names and a new index.
     */
    private int runSharded(Path input) throws Exception {
        ShardedCheckpoint in = ShardedCheckpoint.open(input);
        Path outDir = shardOutput();
        if (outDir == null) {
            for (Path shard : in.shards()) {
                retarget(shard, null);
                execute();
            }
            return Main.OK;
        }
        if (GgufFiles.isGguf(outDir)) {
            throw new CliException("the input is a sharded checkpoint and OUT " + outDir + " a .gguf file; "
                    + "sharded input writes a folder of safetensors shards (split GGUF is not supported)");
        }
        Files.createDirectories(outDir);
        if (Files.isSameFile(outDir, in.dir())) {
            throw new CliException("OUT " + outDir + " is the input's folder; write the shards to a new folder");
        }
        List<Path> written = new ArrayList<>();
        for (Path shard : in.shards()) {
            Path out = outDir.resolve(shard.getFileName().toString());
            retarget(shard, out);
            execute();
            written.add(out);
        }
        ShardedCheckpoint.writeIndex(outDir, written);
        return Main.OK;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            Path shardable = shardableInput();
            if (shardable != null && ShardedCheckpoint.isSharded(shardable)) {
                return runSharded(shardable);
            }
            return execute();
        } catch (OutOfMemoryError e) {
            throw new OutOfHeapException(currentTensor, e);
        } catch (FileChangedException e) {
            throw changed(e);
        } catch (InternalError e) {
            // A read of a mapped file that has since shrunk faults; the reader names the file where it
            // can, and this catches the reads it does not make itself.
            for (SafetensorsReader r : opened) {
                try {
                    r.throwIfTruncated(e);
                } catch (FileChangedException c) {
                    throw changed(c);
                }
            }
            throw e;
        }
    }

    private EnvironmentException changed(FileChangedException e) {
        return new EnvironmentException(e.getMessage() + (currentTensor == null ? "" : " (at tensor '" + currentTensor
                + "')") + "; nothing was written. Let whatever writes the file finish, then run again", e);
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
