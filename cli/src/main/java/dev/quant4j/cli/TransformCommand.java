package dev.quant4j.cli;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.ShardedCheckpoint;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;

/**
 * The commands that read a model and write another ({@code quantize}, {@code dequantize}, {@code convert}),
 * and their one streaming loop: open the input (a file in either format, or every shard of a checkpoint),
 * plan every tensor of every file as a {@link TensorSpec} (no data read yet; the command's
 * {@link #plan}), let the command refuse or warn about the plan before anything is written, then write:
 * one file, a folder with the input's shard names and a new index, or (with {@code --max-shard-size})
 * a folder of shards cut by size and their index. Each tensor is read, transformed
 * and written before the next, so the heap holds about one tensor; each file is written atomically and
 * the index last.
 */
abstract class TransformCommand extends FileCommand {
    @Mixin
    InOutOptions files;

    /** GGUF tensors written as float32 because quant4j has no exact scheme for their ggml type. */
    private final List<String> decoded = new ArrayList<>();

    /** Called once, before the first tensor is planned. */
    void start() throws Exception {}

    /** The output of one tensor. */
    abstract TensorSpec plan(InputFile in, InputFile.Tensor t) throws Exception;

    /** Called when every tensor is planned, before anything is written: refusals and warnings. */
    void planned() {}

    /** Called when the output is written. */
    void written() {}

    /** What the command did to how many tensors, the start of its summary line. */
    abstract String counts();

    /** Text after the sizes in the summary line; none unless a command has more to say there. */
    String sizeNote(long inBytes, long outBytes) {
        return "";
    }

    /** Prints the summary line(s) (not with {@code -q}): counts, sizes, time and the output file. */
    void summary(long inBytes, long outBytes) {
        Terminal.line(
                err(),
                String.format(
                        Locale.ROOT,
                        "%s: %s -> %s%s in %.1f s, wrote %s",
                        counts(),
                        Sizes.bytes(inBytes),
                        Sizes.bytes(outBytes),
                        sizeNote(inBytes, outBytes),
                        elapsed(),
                        files.output));
    }

    @Override
    final int execute() throws Exception {
        Path input = files.input;
        Path output = files.output;
        boolean sharded = ShardedCheckpoint.isSharded(input);
        Long limit = files.maxShardSize;
        boolean folder = sharded || limit != null;
        if (folder) {
            checkShardFolder(sharded ? ShardedCheckpoint.open(input).dir() : null, output, limit != null);
        } else {
            checkDistinct(input, output);
        }
        List<InputFile> inputs = openInputs(input, true);
        long inBytes = 0;
        long work = 0;
        for (InputFile in : inputs) {
            inBytes += in.fileSize();
            work += in.dataBytes();
        }
        start();
        long outBytes = 0;
        try (Progress _ = startProgress(spec.name(), work)) {
            List<List<TensorSpec>> plans = new ArrayList<>();
            for (InputFile in : inputs) {
                List<TensorSpec> specs = new ArrayList<>();
                for (InputFile.Tensor t : in.tensors()) {
                    specs.add(plan(in, t));
                }
                plans.add(specs);
            }
            planned();
            if (!folder) {
                write(output, inputs.getFirst(), plans.getFirst());
                outBytes = Files.size(output);
            } else {
                outBytes = writeFolder(output, inputs, plans, limit);
            }
        }
        written();
        if (!decoded.isEmpty()) {
            note("dequantized to F32 (no exact quant4j scheme): " + decoded.getFirst() + SchemeOptions.more(decoded));
        }
        if (!GgufFiles.isGguf(output)) {
            List<String> dropped = new ArrayList<>();
            inputs.forEach(in -> dropped.addAll(in.droppedKeys()));
            if (!dropped.isEmpty()) {
                note("GGUF array metadata has no safetensors form and was left out: " + String.join(", ", dropped));
            }
        }
        if (!files.quiet) {
            summary(inBytes, outBytes);
        }
        return Main.OK;
    }

    /**
     * A sharded input, or {@code --max-shard-size}, writes a folder of safetensors shards: not a GGUF file,
     * not a file, not the input's folder.
     */
    private static void checkShardFolder(Path inputDir, Path outDir, boolean split) throws IOException {
        String why = split ? "--max-shard-size" : "the input is a sharded checkpoint and";
        if (GgufFiles.isGguf(outDir)) {
            throw new CliException(why + " OUT " + outDir + " is a .gguf file; " + (split ? "" : "sharded input ")
                    + "writes a folder of safetensors shards (split GGUF is not supported): give a folder as OUT");
        }
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new CliException(
                    why + " OUT " + outDir + " is a file; shards go into a folder: give a new " + "folder as OUT");
        }
        if (inputDir != null && Files.isDirectory(outDir) && Files.isSameFile(outDir, inputDir)) {
            throw new CliException("OUT " + outDir + " is the input's folder; write the shards to a new folder");
        }
    }

    /**
     * Writes the shards (each atomically) and then the index into {@code outDir}, made when missing. If
     * anything fails, the shards this run wrote are deleted again, and the folder if this run made it, so
     * that no index points at a half-written set.
     *
     * @return the bytes of the shards written
     */
    private long writeFolder(Path outDir, List<InputFile> inputs, List<List<TensorSpec>> plans, Long limit)
            throws Exception {
        boolean made = !Files.exists(outDir);
        Files.createDirectories(outDir);
        List<Path> written = new ArrayList<>();
        try {
            if (limit != null) {
                writeSplit(outDir, inputs.getFirst(), plans, limit, written);
            } else {
                for (int i = 0; i < inputs.size(); i++) {
                    Path out = outDir.resolve(
                            Objects.requireNonNull(inputs.get(i).file().getFileName())
                                    .toString());
                    write(out, inputs.get(i), plans.get(i));
                    written.add(out);
                }
            }
            ShardedCheckpoint.writeIndex(outDir, written);
        } catch (Exception | Error e) {
            try {
                for (Path p : written) {
                    Files.deleteIfExists(p);
                }
                if (made) {
                    Files.deleteIfExists(outDir);
                }
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        long bytes = 0;
        for (Path p : written) {
            bytes += Files.size(p);
        }
        return bytes;
    }

    /**
     * Writes the planned tensors of every input, in order, as shards of at most {@code limit} bytes of
     * tensor data ({@code model-00001-of-0000N.safetensors}, as Hugging Face names them; a quantized
     * tensor's codes and scales stay together), each with the first input's metadata, then the index.
     * A tensor larger than the limit gets a shard of its own, with a note. The files go into {@code written}
     * as they are written.
     */
    private void writeSplit(Path outDir, InputFile source, List<List<TensorSpec>> plans, long limit, List<Path> written)
            throws Exception {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<Integer> oversized = new ArrayList<>();
        List<String> oversizedNames = new ArrayList<>();
        long filled = 0;
        for (List<TensorSpec> plan : plans) {
            for (TensorSpec t : plan) {
                long size = Sizes.dataBytes(t);
                if (shards.isEmpty() || (!shards.getLast().isEmpty() && filled + size > limit)) {
                    shards.add(new ArrayList<>());
                    filled = 0;
                }
                if (size > limit) {
                    oversized.add(shards.size() - 1);
                    oversizedNames.add(t.name() + " (" + Sizes.bytes(size) + ")");
                }
                shards.getLast().add(t);
                filled += size;
            }
        }
        if (shards.isEmpty()) {
            shards.add(new ArrayList<>());
        }
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            files.add(
                    outDir.resolve(String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size())));
        }
        if (!oversized.isEmpty()) {
            note("larger than --max-shard-size " + Sizes.bytes(limit) + ", so in a shard of its own: tensor "
                    + oversizedNames.getFirst() + " in "
                    + files.get(oversized.getFirst()).getFileName()
                    + SchemeOptions.more(oversizedNames));
        }
        for (int i = 0; i < shards.size(); i++) {
            write(files.get(i), source, shards.get(i));
            written.add(files.get(i));
        }
    }

    /** Writes one output file with the metadata of {@code source}, in the format its extension names. */
    void write(Path output, InputFile source, List<TensorSpec> specs) throws Exception {
        GgufFiles.write(output, source, specs);
    }

    /**
     * The tensor as it is: a quantized tensor with its scheme, a plain tensor's bytes; a GGUF tensor of a
     * block type quant4j has no exact scheme for as float32 values, with a note.
     */
    TensorSpec copy(InputFile.Tensor t) throws IOException {
        String name = t.name();
        return switch (t) {
            case InputFile.Quantized q ->
                TensorSpec.quantized(
                        name, intShape(name, q.shape()), q.scheme(), tracked(name, q.byteSize(), q.read()));
            case InputFile.Plain p ->
                new TensorSpec.Raw(name, p.dtype(), p.shape(), sink -> {
                    begin(name);
                    p.bytes().writeTo(sink);
                    advance(p.byteSize());
                });
            case InputFile.Decoded d -> {
                decoded.add(name + " (" + d.type() + ")");
                yield asFloat32(d);
            }
        };
    }

    /** The tensor's values as an F32 tensor (a quantized tensor dequantized as its scheme says). */
    TensorSpec.Raw asFloat32(InputFile.Tensor t) throws IOException {
        return asFloat32(t, x -> {});
    }

    /** As {@link #asFloat32(InputFile.Tensor)}, with {@code check} seeing the values before they are written. */
    TensorSpec.Raw asFloat32(InputFile.Tensor t, Consumer<float[]> check) throws IOException {
        String name = t.name();
        TensorSpec.Producer<FloatTensor> values = switch (t) {
            case InputFile.Quantized q -> () -> q.read().get().dequantize();
            case InputFile.Plain p -> p.values();
            case InputFile.Decoded d -> {
                if (!d.readable()) {
                    d.values().get(); // throws, naming the type and the types quant4j reads
                }
                yield d.values();
            }
        };
        if (values == null) {
            throw new IllegalArgumentException("tensor '" + name + "' of " + t.type() + " has no float values");
        }
        TensorSpec.Producer<FloatTensor> read = tracked(name, t.byteSize(), values);
        return TensorSpec.floats(name, intShape(name, t.shape()), Dtype.F32, () -> {
            float[] x = read.get().data();
            check.accept(x);
            return x;
        });
    }
}
