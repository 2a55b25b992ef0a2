package dev.quant4j.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.quant4j.cli.SchemeFit;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;

import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.QuantizedTensor;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Quantizes a sharded checkpoint on Spark, writing for each shard exactly the bytes
 * {@code quant4j quantize SHARD OUT/SHARD} writes.
 *
 * <p>The driver reads every shard's header (through the Hadoop FileSystem API) and makes the CLI's
 * decisions: which tensors are quantized and with what scheme, which are copied. Each tensor to
 * quantize (or already quantized, to be checked) is one task; the task reads that tensor's bytes only,
 * quantizes with the runtime's {@link Quantizer}, and stages the codes and scales under
 * {@code OUT/_quant4j_staging}, committed by rename (a failed or speculative attempt writes under a name of
 * its own and removes it; an attempt that finds the staged result there already keeps it). The driver then
 * writes each shard with the runtime's {@link SafetensorsWriter} (temporary file, rename), copying the
 * tensors left as they are by range, and a sidecar {@code .SHARD.quant4j-done} holding a digest of the
 * shard's header, its size and the options; a rerun skips a shard whose output and sidecar match.
 */
public final class ShardedQuantizer {
    static final String STAGING = "_quant4j_staging";
    static final String DONE_SUFFIX = ".quant4j-done";
    /** Test hook: the tensor whose first task attempt writes half its staged file, then fails. */
    static final String FAIL_ONCE_CONF = "spark.quant4j.test.failFirstAttempt";
    /** Failures the test hook injected in this JVM (local mode runs the tasks here). */
    static final java.util.concurrent.atomic.AtomicInteger INJECTED_FAILURES = new java.util.concurrent.atomic.AtomicInteger();

    /** Which scheme a float tensor takes: null when --skip leaves it as it is. */
    public interface SchemeChoice {
        QuantScheme schemeFor(String tensorName);
    }

    /** What the job did. */
    public record Result(int shards, int shardsSkipped, int quantized, int copied, int kept, List<String> unfit,
                         long inBytes, long outBytes) {
    }

    /** One task: one tensor of one shard, and the file window holding its bytes. */
    record Task(int shard, int id, String shardPath, String tensor, String scheme, long windowStart, int windowLength)
            implements Serializable {
    }

    private ShardedQuantizer() {
    }

    /**
     * Runs the job.
     *
     * @param optionsText the options in a canonical form, part of each shard's completion digest
     * @param strict      refuse a float tensor its scheme cannot take, as {@code --strict} does
     */
    public static Result run(JavaSparkContext sc, String input, String output, SchemeChoice choice, boolean strict,
                             String optionsText) throws IOException {
        Configuration conf = sc.hadoopConfiguration();
        Path inFolder = new Path(input);
        Path outFolder = new Path(output);
        FileSystem inFs = inFolder.getFileSystem(conf);
        FileSystem outFs = outFolder.getFileSystem(conf);
        Checkpoint ckpt = Checkpoint.open(inFs, inFolder);
        outFs.mkdirs(outFolder);

        List<ShardPlan> plans = new ArrayList<>();
        List<String> unfit = new ArrayList<>();
        long inBytes = 0;
        for (int i = 0; i < ckpt.shards().size(); i++) {
            String name = ckpt.shards().get(i);
            Path file = new Path(inFolder, name);
            long size = inFs.getFileStatus(file).getLen();
            byte[] header = HadoopRanges.header(inFs, file, size);
            SafetensorsReader reader = HadoopRanges.headerReader(inFs, file, header, size);
            ckpt.checkShard(name, reader.tensors().stream().map(TensorInfo::name).toList());
            inBytes += size;
            plans.add(plan(i, name, file, reader, header, choice, unfit, optionsText));
        }
        if (!unfit.isEmpty() && strict) {
            throw new BadCheckpointException(unfit.getFirst() + more(unfit) + "; leave such tensors as they "
                    + "are with --skip GLOB, give them a scheme that fits with --rule GLOB=SPEC, or drop --strict to "
                    + "copy them unquantized");
        }

        List<ShardPlan> todo = new ArrayList<>();
        for (ShardPlan p : plans) {
            if (!isDone(outFs, outFolder, p)) {
                todo.add(p);
            }
        }
        Path staging = new Path(outFolder, STAGING);
        List<Task> tasks = new ArrayList<>();
        Map<Integer, byte[]> headers = new HashMap<>();
        for (ShardPlan p : todo) {
            tasks.addAll(p.tasks);
            headers.put(p.index, p.header);
        }
        if (!tasks.isEmpty()) {
            // Largest first, so the long tasks do not start last.
            tasks.sort(Comparator.comparingInt(Task::windowLength).reversed());
            Broadcast<Map<Integer, byte[]>> headerCast = sc.broadcast(headers);
            Broadcast<SerializableConfiguration> confCast = sc.broadcast(new SerializableConfiguration(conf));
            String stagingText = staging.toString();
            try {
                sc.parallelize(tasks, tasks.size()).foreach(t -> runTask(t, headerCast.value(), confCast.value().value(),
                        stagingText));
            } catch (Exception e) {
                throw unwrap(e);
            } finally {
                headerCast.destroy();
                confCast.destroy();
            }
        }
        int quantized = 0;
        int copied = 0;
        int kept = 0;
        for (ShardPlan p : plans) {
            quantized += p.quantized;
            copied += p.copied;
            kept += p.kept;
        }
        for (ShardPlan p : todo) {
            writeShard(inFs, outFs, outFolder, staging, p);
        }
        outFs.delete(staging, true);
        long outBytes = 0;
        Map<String, String> weightMap = new TreeMap<>();
        for (ShardPlan p : plans) {
            Path out = new Path(outFolder, p.name);
            long size = outFs.getFileStatus(out).getLen();
            outBytes += size;
            if (ckpt.weightMap() != null) {
                SafetensorsReader r = HadoopRanges.headerReader(outFs, out, HadoopRanges.header(outFs, out, size), size);
                for (TensorInfo t : r.tensors()) {
                    weightMap.put(t.name(), p.name);
                }
            }
        }
        if (ckpt.weightMap() != null) {
            writeIndex(outFs, outFolder, ckpt, weightMap, plans);
        }
        return new Result(plans.size(), plans.size() - todo.size(), quantized, copied, kept, List.copyOf(unfit),
                inBytes, outBytes);
    }

    /** One shard's decisions, in file order, and its tasks. */
    static final class ShardPlan {
        final int index;
        final String name;
        final Path file;
        final byte[] header;
        final Map<String, String> userMetadata;
        final List<Item> items = new ArrayList<>();
        final List<Task> tasks = new ArrayList<>();
        final String digest;
        int quantized;
        int copied;
        int kept;

        ShardPlan(int index, String name, Path file, byte[] header, Map<String, String> userMetadata, String digest) {
            this.index = index;
            this.name = name;
            this.file = file;
            this.header = header;
            this.userMetadata = userMetadata;
            this.digest = digest;
        }
    }

    /** A tensor of the output: quantized from a staged task result (task id >= 0), or copied by range. */
    record Item(String name, int[] shape, QuantScheme scheme, int task, TensorInfo copy, long dataStart) {
    }

    /** The CLI's decisions for one shard (QuantizeCommand.execute), made before any data is read. */
    private static ShardPlan plan(int index, String name, Path file, SafetensorsReader reader, byte[] header,
                                  SchemeChoice choice, List<String> unfit, String optionsText) {
        ShardPlan p = new ShardPlan(index, name, file, header, reader.userMetadata(),
                digest(optionsText, name, reader.fileSize(), header));
        for (SafetensorsEntry e : reader.entries()) {
            switch (e) {
                case QuantizedInfo q -> {
                    long start = reader.dataStart() + Math.min(q.codes().begin(), q.scales().begin());
                    long end = reader.dataStart() + Math.max(q.codes().end(), q.scales().end());
                    p.items.add(new Item(q.name(), q.shape(), q.scheme(), addTask(p, q.name(), null, start, end),
                            null, 0));
                    p.kept++;
                }
                case TensorInfo t when t.dtype().isQuantizable() && choice.schemeFor(t.name()) != null -> {
                    QuantScheme s = choice.schemeFor(t.name());
                    int[] shape = fitting(t, s, unfit);
                    if (shape == null) {
                        p.items.add(new Item(t.name(), null, null, -1, t, reader.dataStart()));
                        p.copied++;
                    } else {
                        long start = reader.dataStart() + t.begin();
                        p.items.add(new Item(t.name(), shape, s, addTask(p, t.name(), s.toString(), start,
                                start + t.byteSize()), null, 0));
                        p.quantized++;
                    }
                }
                case TensorInfo t -> {
                    p.items.add(new Item(t.name(), null, null, -1, t, reader.dataStart()));
                    p.copied++;
                }
            }
        }
        return p;
    }

    /** The shape as ints when the scheme takes the tensor; else null, with the CLI's reason added to unfit. */
    private static int[] fitting(TensorInfo t, QuantScheme s, List<String> unfit) {
        TensorSpec.Quantized spec = SchemeFit.spec(t.name(), t.shape(), s, () -> null, unfit);
        return spec == null ? null : spec.shape();
    }

    private static int addTask(ShardPlan p, String tensor, String scheme, long start, long end) {
        int id = p.tasks.size();
        // A tensor a task can quantize is at most Shapes.MAX_ARRAY_LENGTH elements; its bytes fit an int
        // for F16/BF16 and nearly for F32. A larger one fails in the task with the runtime's message.
        p.tasks.add(new Task(p.index, id, p.file.toString(), tensor, scheme, start, (int) Math.min(end - start,
                Integer.MAX_VALUE - 8)));
        return id;
    }

    /** Runs on an executor: reads one tensor's bytes, quantizes (or checks) it, stages the result. */
    static void runTask(Task t, Map<Integer, byte[]> headers, Configuration conf, String staging) throws IOException {
        Path file = new Path(t.shardPath());
        FileSystem fs = file.getFileSystem(conf);
        long size = fs.getFileStatus(file).getLen();
        byte[] window = HadoopRanges.read(fs, file, t.windowStart(), t.windowLength());
        SafetensorsReader reader = SafetensorsReader.ofRange(java.nio.file.Path.of(file.toString()),
                headers.get(t.shard()), size, t.windowStart(), window);
        QuantizedTensor q = switch (reader.entry(t.tensor())) {
            case QuantizedInfo info -> reader.readQuantized(info);
            case TensorInfo info -> new Quantizer(QuantScheme.parse(t.scheme()))
                    .quantize(t.tensor(), reader.readFloatTensor(info));
        };
        Path staged = stagedPath(new Path(staging), t);
        FileSystem outFs = staged.getFileSystem(conf);
        if (outFs.exists(staged)) {
            return;  // another attempt (speculative, or before a lost executor) committed the same bytes
        }
        TaskContext ctx = TaskContext.get();
        Path attempt = new Path(staged.getParent(), "." + staged.getName() + ".attempt-"
                + (ctx == null ? UUID.randomUUID().toString() : ctx.taskAttemptId()));
        boolean committed = false;
        try {
            try (FSDataOutputStream out = outFs.create(attempt, true)) {
                DataOutputStream data = new DataOutputStream(out);
                byte[] codes = q.codes();
                data.writeInt(codes.length);
                if (failThisAttempt(t, ctx)) {
                    data.write(codes, 0, codes.length / 2);
                    data.flush();
                    INJECTED_FAILURES.incrementAndGet();
                    throw new IOException("injected failure of the first attempt at tensor '" + t.tensor() + "'");
                }
                data.write(codes);
                float[] scales = q.scales();
                data.writeInt(scales.length);
                for (float s : scales) {
                    data.writeInt(Float.floatToRawIntBits(s));
                }
                data.flush();
            }
            committed = outFs.rename(attempt, staged) || outFs.exists(staged);
            if (!committed) {
                throw new IOException("could not rename " + attempt + " to " + staged);
            }
        } finally {
            outFs.delete(attempt, false);
        }
    }

    private static boolean failThisAttempt(Task t, TaskContext ctx) {
        SparkEnv env = SparkEnv.get();
        return ctx != null && env != null && ctx.attemptNumber() == 0
                && t.tensor().equals(env.conf().get(FAIL_ONCE_CONF, null));
    }

    static Path stagedPath(Path staging, Task t) {
        return new Path(new Path(staging, Integer.toString(t.shard())), t.id() + ".bin");
    }

    private static QuantizedTensor readStaged(FileSystem fs, Path staged, int[] shape, QuantScheme scheme)
            throws IOException {
        try (FSDataInputStream in = fs.open(staged)) {
            DataInputStream data = new DataInputStream(in);
            byte[] codes = new byte[data.readInt()];
            data.readFully(codes);
            float[] scales = new float[data.readInt()];
            for (int i = 0; i < scales.length; i++) {
                scales[i] = Float.intBitsToFloat(data.readInt());
            }
            // The public constructor checks every part again: a staged file is not trusted blindly.
            return new QuantizedTensor(shape, scheme, codes, scales);
        }
    }

    /** Writes one output shard with the runtime's writer, then its completion sidecar. */
    private static void writeShard(FileSystem inFs, FileSystem outFs, Path outFolder, Path staging, ShardPlan p)
            throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Item item : p.items) {
            if (item.task() >= 0) {
                Path staged = stagedPath(staging, p.tasks.get(item.task()));
                specs.add(TensorSpec.quantized(item.name(), item.shape(), item.scheme(),
                        () -> readStaged(outFs, staged, item.shape(), item.scheme())));
            } else {
                TensorInfo t = item.copy();
                specs.add(new TensorSpec.Raw(t.name(), t.dtype(), t.shape(), sink -> copyRange(inFs, p.file,
                        item.dataStart() + t.begin(), t.byteSize(), sink)));
            }
        }
        Path out = new Path(outFolder, p.name);
        if (outFs instanceof LocalFileSystem local) {
            // The writer's own commit: temporary file beside OUT, forced, renamed.
            SafetensorsWriter.write(java.nio.file.Path.of(local.pathToFile(out).getPath()), p.userMetadata, specs);
        } else {
            java.nio.file.Path tmp = java.nio.file.Files.createTempFile("quant4j-shard", ".safetensors");
            try {
                java.nio.file.Files.delete(tmp);
                SafetensorsWriter.write(tmp, p.userMetadata, specs);
                Path remoteTmp = new Path(outFolder, "." + p.name + "." + UUID.randomUUID() + ".tmp");
                outFs.copyFromLocalFile(false, true, new Path(tmp.toUri()), remoteTmp);
                outFs.delete(out, false);
                if (!outFs.rename(remoteTmp, out)) {
                    outFs.delete(remoteTmp, false);
                    throw new IOException("could not rename " + remoteTmp + " to " + out);
                }
            } finally {
                java.nio.file.Files.deleteIfExists(tmp);
            }
        }
        long size = outFs.getFileStatus(out).getLen();
        writeAtomically(outFs, new Path(outFolder, "." + p.name + DONE_SUFFIX),
                (p.digest + "\n" + size + "\n").getBytes(StandardCharsets.UTF_8));
        outFs.delete(new Path(staging, Integer.toString(p.index)), true);
    }

    private static void copyRange(FileSystem fs, Path file, long offset, long length, dev.quant4j.io.TensorSink sink)
            throws IOException {
        byte[] buffer = new byte[(int) Math.min(length, 8 << 20)];
        try (FSDataInputStream in = fs.open(file)) {
            long done = 0;
            while (done < length) {
                int n = (int) Math.min(buffer.length, length - done);
                in.readFully(offset + done, buffer, 0, n);
                sink.write(buffer, 0, n);
                done += n;
            }
        }
    }

    /**
     * A shard is complete and verified when its sidecar holds the digest this run computes (the shard's
     * header bytes, its size, the options, the format version) and the size of the output file beside it.
     */
    private static boolean isDone(FileSystem fs, Path outFolder, ShardPlan p) throws IOException {
        Path out = new Path(outFolder, p.name);
        Path done = new Path(outFolder, "." + p.name + DONE_SUFFIX);
        if (!fs.exists(out) || !fs.exists(done)) {
            return false;
        }
        long len = fs.getFileStatus(done).getLen();
        if (len > 4096) {
            return false;
        }
        String[] lines = new String(HadoopRanges.read(fs, done, 0, (int) len), StandardCharsets.UTF_8).split("\n");
        return lines.length == 2 && lines[0].equals(p.digest)
                && lines[1].equals(Long.toString(fs.getFileStatus(out).getLen()));
    }

    static String digest(String optionsText, String shard, long size, byte[] header) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("quant4j-spark 1\n" + optionsText + "\n" + shard + "\n" + size + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            md.update(header);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The output index: the input's metadata with total_size recomputed, and every stored tensor's shard. */
    private static void writeIndex(FileSystem fs, Path outFolder, Checkpoint ckpt, Map<String, String> weightMap,
                                   List<ShardPlan> plans) throws IOException {
        JsonObject root = new JsonObject();
        JsonObject metadata = ckpt.indexMetadata() == null ? new JsonObject() : ckpt.indexMetadata().deepCopy();
        long total = 0;
        for (ShardPlan p : plans) {
            Path out = new Path(outFolder, p.name);
            long size = fs.getFileStatus(out).getLen();
            byte[] header = HadoopRanges.header(fs, out, size);
            total += size - header.length;
        }
        metadata.addProperty("total_size", total);
        root.add("metadata", metadata);
        JsonObject map = new JsonObject();
        weightMap.forEach(map::addProperty);
        root.add("weight_map", map);
        String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root) + "\n";
        writeAtomically(fs, new Path(outFolder, Checkpoint.INDEX), text.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeAtomically(FileSystem fs, Path target, byte[] bytes) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                out.write(bytes);
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
        } finally {
            fs.delete(tmp, false);
        }
    }

    /** A task's own exception (bad input, a NaN, a full disk) from the Spark exception that wraps it. */
    private static IOException unwrap(Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getClass().getName().startsWith("dev.quant4j.") && c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof IOException io && c != e) {
                return io;
            }
        }
        if (e instanceof IOException io) {
            return io;
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        return new IOException(e);
    }

    private static String more(List<String> items) {
        return items.size() > 1 ? " (and " + (items.size() - 1) + " more tensors)" : "";
    }

}
