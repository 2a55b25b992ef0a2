package dev.quant4j.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.quant4j.annotations.Calibration;
import dev.quant4j.calibrate.Gptq;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.ScaleSearch;
import dev.quant4j.cli.SchemeFit;
import dev.quant4j.io.QuantizedInfo;
import dev.quant4j.io.SafetensorsEntry;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Quantizes a sharded checkpoint on Spark, writing for each shard exactly the bytes
 * {@code quant4j quantize SHARD OUT/SHARD} writes.
 *
 * <p>The driver reads every shard's header (through the Hadoop FileSystem API) and makes the CLI's
 * decisions: which tensors are quantized and with what scheme (and calibration), which are copied. Each
 * output shard is one task, largest first: the task reads its tensors' byte ranges one at a time, quantizes
 * them with the runtime's {@link Quantizer} (or {@link ScaleSearch}, {@link Gptq}) and streams them, with the
 * tensors copied by range, into the runtime's {@link SafetensorsWriter}, which writes a temporary file and
 * renames it over {@code OUT/SHARD} (on another file system than the local one: a local temporary file,
 * uploaded under a temporary name and renamed). A failed attempt leaves no file; a speculative or repeated
 * attempt renames identical bytes. The task then writes a sidecar {@code .SHARD.quant4j-done} holding a digest
 * of the shard's header, its size and the options; a rerun skips a shard whose output and sidecar match.
 */
public final class ShardedQuantizer {
    static final String DONE_SUFFIX = ".quant4j-done";
    /** Test hook: the tensor whose first task attempt fails while its shard is half written. */
    static final String FAIL_ONCE_CONF = "spark.quant4j.test.failFirstAttempt";
    /** Failures the test hook injected in this JVM (local mode runs the tasks here). */
    static final java.util.concurrent.atomic.AtomicInteger INJECTED_FAILURES =
            new java.util.concurrent.atomic.AtomicInteger();

    /** The CLI's choices for a tensor. */
    public interface SchemeChoice {
        /** The scheme of a float tensor, calibration included: null when --skip leaves it as it is. */
        QuantScheme schemeFor(String tensorName);

        /** Called for every stored tensor of every shard, in order, before its scheme is asked for. */
        default void seen(String tensorName) {}
    }

    /**
     * What the job did.
     *
     * @param unweighted imatrix/gptq tensors the statistics had no entry for (searched unweighted, mse)
     * @param quantizedSpecs the shape and scheme of every tensor quantized (no data), for the CLI's warnings
     * @param warnings the readers' notes about the input shards (e.g. unused bytes), as the CLI prints them
     */
    public record Result(
            int shards,
            int shardsSkipped,
            int quantized,
            int copied,
            int kept,
            List<String> unfit,
            int unweighted,
            List<TensorSpec.Quantized> quantizedSpecs,
            List<String> warnings,
            long inBytes,
            long outBytes) {
        /** The planned result once the shards are written: {@code shardsSkipped} were complete already. */
        Result written(int shardsSkipped, long outBytes) {
            return new Result(
                    shards,
                    shardsSkipped,
                    quantized,
                    copied,
                    kept,
                    unfit,
                    unweighted,
                    quantizedSpecs,
                    warnings,
                    inBytes,
                    outBytes);
        }
    }

    /**
     * One shard's decisions, made on the driver before any data is read, and its task.
     *
     * @param schemes per stored tensor in file order, the scheme text to quantize it with, or null (copy, or
     *                keep a quantized tensor)
     */
    record ShardPlan(
            int index,
            String name,
            String file,
            long size,
            byte[] header,
            String digest,
            String[] schemes,
            int quantized,
            int copied,
            int kept)
            implements Serializable {}

    /** The statistics of {@code --calibration-data}, and a SHA-256 of the file for the completion digest. */
    public record CalibrationData(InputStatistics statistics, String digest) {
        /** Reads a statistics file from any Hadoop path (through a local copy where it is not local). */
        public static CalibrationData load(Configuration conf, String file) throws IOException {
            Path path = new Path(file);
            FileSystem fs = path.getFileSystem(conf);
            if (!fs.exists(path) || fs.getFileStatus(path).isDirectory()) {
                throw new BadCheckpointException("--calibration-data " + path + ": no such file; record one with "
                        + "'quant4j spark calibrate --statistics FILE'");
            }
            // A local file is read where it is, so that the runtime's messages name it.
            boolean isLocal = fs instanceof LocalFileSystem;
            java.nio.file.Path local = isLocal
                    ? java.nio.file.Path.of(
                            ((LocalFileSystem) fs).pathToFile(path).getPath())
                    : java.nio.file.Files.createTempFile("quant4j-statistics", ".safetensors");
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                try (FSDataInputStream in = fs.open(path);
                        java.io.OutputStream out = isLocal
                                ? java.io.OutputStream.nullOutputStream()
                                : java.nio.file.Files.newOutputStream(local)) {
                    byte[] buffer = new byte[1 << 20];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        md.update(buffer, 0, n);
                        out.write(buffer, 0, n);
                    }
                }
                return new CalibrationData(
                        InputStatistics.load(local), HexFormat.of().formatHex(md.digest()));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            } finally {
                if (!isLocal) {
                    java.nio.file.Files.deleteIfExists(local);
                }
            }
        }
    }

    private ShardedQuantizer() {}

    /**
     * Runs the job.
     *
     * @param statistics  the input statistics of {@code --calibration-data}, or null
     * @param optionsText the options in a canonical form, part of each shard's completion digest
     * @param onReaderWarnings given the readers' notes about the input shards, once all headers are read
     * @param onPlanned   given the decisions (counts, unfit tensors, quantized shapes) before anything is
     *                    written; it may refuse them by throwing (--strict)
     */
    public static Result run(
            JavaSparkContext sc,
            String input,
            String output,
            SchemeChoice choice,
            InputStatistics statistics,
            String optionsText,
            Consumer<List<String>> onReaderWarnings,
            Consumer<Result> onPlanned)
            throws IOException {
        Configuration conf = sc.hadoopConfiguration();
        Path inFolder = new Path(input);
        Path outFolder = new Path(output);
        FileSystem inFs = inFolder.getFileSystem(conf);
        FileSystem outFs = outFolder.getFileSystem(conf);
        Checkpoint ckpt = Checkpoint.open(inFs, inFolder);

        List<ShardPlan> plans = new ArrayList<>();
        List<String> unfit = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<TensorSpec.Quantized> quantizedSpecs = new ArrayList<>();
        int[] unweighted = {0};
        long inBytes = 0;
        for (int i = 0; i < ckpt.shards().size(); i++) {
            String name = ckpt.shards().get(i);
            Path file = new Path(inFolder, name);
            long size = inFs.getFileStatus(file).getLen();
            byte[] header = HadoopRanges.header(inFs, file, size);
            SafetensorsReader reader = HadoopRanges.headerReader(inFs, file, header, size);
            ckpt.checkShard(
                    name, reader.tensors().stream().map(TensorInfo::name).toList());
            reader.warnings().forEach(w -> warnings.add(file + ": " + w));
            inBytes += size;
            plans.add(plan(
                    i, name, file, reader, header, choice, statistics, unfit, unweighted, quantizedSpecs, optionsText));
        }
        onReaderWarnings.accept(List.copyOf(warnings));
        int quantized = 0;
        int copied = 0;
        int kept = 0;
        for (ShardPlan p : plans) {
            quantized += p.quantized();
            copied += p.copied();
            kept += p.kept();
        }
        Result planned = new Result(
                plans.size(),
                0,
                quantized,
                copied,
                kept,
                List.copyOf(unfit),
                unweighted[0],
                List.copyOf(quantizedSpecs),
                List.copyOf(warnings),
                inBytes,
                0);
        onPlanned.accept(planned);
        outFs.mkdirs(outFolder);
        List<ShardPlan> todo = new ArrayList<>();
        for (ShardPlan p : plans) {
            if (!isDone(outFs, outFolder, p)) {
                todo.add(p);
                // Temporary files of an earlier run's killed attempts (none of this run's is running yet).
                for (String pattern : List.of("." + p.name() + ".*.tmp", ".." + p.name() + DONE_SUFFIX + ".*.tmp")) {
                    FileStatus[] stale = outFs.globStatus(new Path(outFolder, pattern));
                    for (FileStatus f : stale == null ? new FileStatus[0] : stale) {
                        outFs.delete(f.getPath(), false);
                    }
                }
            }
        }
        if (!todo.isEmpty()) {
            // Largest first, so the long tasks do not start last.
            todo.sort(Comparator.comparingLong(ShardPlan::size).reversed());
            Broadcast<SerializableConfiguration> confCast = sc.broadcast(new SerializableConfiguration(conf));
            Broadcast<InputStatistics> statsCast = sc.broadcast(statistics);
            String outText = outFolder.toString();
            try {
                sc.parallelize(todo, todo.size())
                        .foreach(p -> writeShard(p, outText, confCast.value().value(), statsCast.value()));
            } catch (Exception e) {
                throw SparkErrors.unwrap(e);
            } finally {
                confCast.destroy();
                statsCast.destroy();
            }
            for (ShardPlan p : todo) {
                if (!isDone(outFs, outFolder, p)) {
                    throw new IOException("shard " + p.name() + " was not committed to " + outFolder
                            + " although its task finished; run again");
                }
            }
        }
        long outBytes = 0;
        Map<String, String> weightMap = new TreeMap<>();
        for (ShardPlan p : plans) {
            Path out = new Path(outFolder, p.name());
            long size = outFs.getFileStatus(out).getLen();
            outBytes += size;
            if (ckpt.weightMap() != null) {
                SafetensorsReader r =
                        HadoopRanges.headerReader(outFs, out, HadoopRanges.header(outFs, out, size), size);
                for (TensorInfo t : r.tensors()) {
                    weightMap.put(t.name(), p.name());
                }
            }
        }
        if (ckpt.weightMap() != null) {
            writeIndex(outFs, outFolder, ckpt, weightMap, plans);
        }
        return planned.written(plans.size() - todo.size(), outBytes);
    }

    /** Where a stored quantized tensor's parts (codes, scales and an affine tensor's offsets) begin in the data. */
    private static long spanBegin(QuantizedInfo q) {
        long begin = Math.min(q.codes().begin(), q.scales().begin());
        return q.offsets() == null ? begin : Math.min(begin, q.offsets().begin());
    }

    /** Where its parts end. */
    private static long spanEnd(QuantizedInfo q) {
        long end = Math.max(q.codes().end(), q.scales().end());
        return q.offsets() == null ? end : Math.max(end, q.offsets().end());
    }

    /** The CLI's decisions for one shard (QuantizeCommand.execute), made before any data is read. */
    private static ShardPlan plan(
            int index,
            String name,
            Path file,
            SafetensorsReader reader,
            byte[] header,
            SchemeChoice choice,
            InputStatistics statistics,
            List<String> unfit,
            int[] unweighted,
            List<TensorSpec.Quantized> quantizedSpecs,
            String optionsText) {
        List<SafetensorsEntry> entries = reader.entries();
        String[] schemes = new String[entries.size()];
        int quantized = 0;
        int copied = 0;
        int kept = 0;
        for (int i = 0; i < entries.size(); i++) {
            SafetensorsEntry e = entries.get(i);
            choice.seen(e.name());
            QuantScheme s = e instanceof TensorInfo t && t.dtype().isQuantizable() ? choice.schemeFor(t.name()) : null;
            if (e instanceof QuantizedInfo q) {
                checkWindow(name, q.name(), spanEnd(q) - spanBegin(q));
                kept++;
            } else if (s == null) {
                copied++;
            } else {
                TensorInfo t = (TensorInfo) e;
                s = withData(t, s, statistics, unweighted);
                int[] shape = fitting(t, s, unfit);
                if (shape == null) {
                    copied++;
                } else {
                    checkWindow(name, t.name(), t.byteSize());
                    schemes[i] = s.toString();
                    quantizedSpecs.add(TensorSpec.quantized(t.name(), shape, s, () -> null));
                    quantized++;
                }
            }
        }
        return new ShardPlan(
                index,
                name,
                file.toString(),
                reader.fileSize(),
                header,
                digest(optionsText, name, reader.fileSize(), header),
                schemes,
                quantized,
                copied,
                kept);
    }

    /** A task reads a tensor into one Java array: at most {@link #MAX_WINDOW} bytes. */
    static final int MAX_WINDOW = Integer.MAX_VALUE - 8;

    private static void checkWindow(String shard, String tensor, long bytes) {
        if (bytes > MAX_WINDOW) {
            throw new BadCheckpointException("tensor '" + tensor + "' of shard " + shard + " has " + bytes
                    + " bytes; a task reads a tensor into one array of at most " + MAX_WINDOW + " bytes (tensors"
                    + " are not split by rows yet): leave it as it is with --skip GLOB, or quantize that shard"
                    + " with 'quant4j quantize', which maps the file");
        }
    }

    /**
     * The CLI's fallbacks for data-aware calibration: gptq without second moments (or not a matrix) is
     * imatrix; imatrix without an entry is mse (counted); either without statistics at all is refused.
     */
    private static QuantScheme withData(TensorInfo t, QuantScheme s, InputStatistics statistics, int[] unweighted) {
        boolean dataAware = s.calibration() == Calibration.IMATRIX || s.calibration() == Calibration.GPTQ;
        if (!dataAware) {
            return s;
        }
        if (statistics == null) {
            throw new BadCheckpointException("tensor '" + t.name() + "' has calibration "
                    + QuantScheme.token(s.calibration()) + ", which needs input statistics: give them with "
                    + "--calibration-data FILE, or use --calibration mse (no data needed)");
        }
        if (s.calibration() == Calibration.GPTQ && (t.rank() != 2 || statistics.secondMoments(t.name()) == null)) {
            s = s.withCalibration(Calibration.IMATRIX);
        }
        if (s.calibration() == Calibration.IMATRIX && statistics.meanSquares(t.name()) == null) {
            s = s.withCalibration(Calibration.MSE);
            unweighted[0]++;
        }
        return s;
    }

    /** The shape as ints when the scheme takes the tensor; else null, with the CLI's reason added to unfit. */
    private static int[] fitting(TensorInfo t, QuantScheme s, List<String> unfit) {
        TensorSpec.Quantized spec = SchemeFit.spec(t.name(), t.shape(), s, () -> null, unfit);
        return spec == null ? null : spec.shape();
    }

    /**
     * Runs on an executor: writes one output shard, tensor after tensor (one tensor's bytes in memory at a
     * time), committed by rename, then its sidecar.
     */
    static void writeShard(ShardPlan p, String outFolder, Configuration conf, InputStatistics statistics)
            throws IOException {
        Path file = new Path(p.file());
        FileSystem inFs = file.getFileSystem(conf);
        java.nio.file.Path nioFile = java.nio.file.Path.of(file.toString());
        SafetensorsReader header =
                SafetensorsReader.ofRange(nioFile, p.header(), p.size(), p.header().length, new byte[0]);
        List<SafetensorsEntry> entries = header.entries();
        Map<QuantScheme, Quantizer> quantizers = new HashMap<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            SafetensorsEntry e = entries.get(i);
            String schemeText = p.schemes()[i];
            switch (e) {
                case QuantizedInfo q -> {
                    long start = header.dataStart() + spanBegin(q);
                    long end = header.dataStart() + spanEnd(q);
                    specs.add(TensorSpec.quantized(q.name(), q.shape(), q.scheme(), () -> {
                        try (SafetensorsReader w = window(inFs, file, nioFile, p, start, end)) {
                            return w.readQuantized((QuantizedInfo) w.entry(q.name()));
                        }
                    }));
                }
                case TensorInfo t
                when schemeText != null -> {
                    QuantScheme s = QuantScheme.parse(schemeText);
                    int[] shape =
                            Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
                    long start = header.dataStart() + t.begin();
                    specs.add(TensorSpec.quantized(t.name(), shape, s, () -> {
                        failIfInjected(t.name());
                        FloatTensor values;
                        try (SafetensorsReader w = window(inFs, file, nioFile, p, start, start + t.byteSize())) {
                            values = w.readFloatTensor((TensorInfo) w.entry(t.name()));
                        }
                        // The CLI's choice: gptq passes errors on, imatrix weights the search, else the quantizer.
                        return switch (s.calibration()) {
                            case GPTQ -> Gptq.quantize(Kernels.active(), t.name(), values, s, statistics);
                            case IMATRIX ->
                                ScaleSearch.quantize(
                                        Kernels.active(), t.name(), values, s, statistics.meanSquares(t.name()));
                            default ->
                                quantizers.computeIfAbsent(s, Quantizer::new).quantize(t.name(), values);
                        };
                    }));
                }
                case TensorInfo t ->
                    specs.add(new TensorSpec.Raw(
                            t.name(),
                            t.dtype(),
                            t.shape(),
                            sink -> copyRange(inFs, file, header.dataStart() + t.begin(), t.byteSize(), sink)));
            }
        }
        Path outDir = new Path(outFolder);
        FileSystem outFs = outDir.getFileSystem(conf);
        Path out = new Path(outDir, p.name());
        HadoopCommit.write(outFs, out, local -> SafetensorsWriter.write(local, header.userMetadata(), specs));
        long size = outFs.getFileStatus(out).getLen();
        writeAtomically(
                outFs,
                new Path(outDir, "." + p.name() + DONE_SUFFIX),
                (p.digest() + "\n" + size + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** A reader over the bytes [start, end) of the shard, read by range, with every header check. */
    private static SafetensorsReader window(
            FileSystem fs, Path file, java.nio.file.Path nioFile, ShardPlan p, long start, long end)
            throws IOException {
        int length = Math.toIntExact(end - start); // at most MAX_WINDOW: checked by the driver
        return SafetensorsReader.ofRange(
                nioFile, p.header(), p.size(), start, HadoopRanges.read(fs, file, start, length));
    }

    private static void failIfInjected(String tensor) throws IOException {
        TaskContext ctx = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        if (ctx != null
                && env != null
                && ctx.attemptNumber() == 0
                && tensor.equals(env.conf().get(FAIL_ONCE_CONF, null))) {
            INJECTED_FAILURES.incrementAndGet();
            throw new IOException("injected failure of the first attempt at tensor '" + tensor + "'");
        }
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
        Path out = new Path(outFolder, p.name());
        Path done = new Path(outFolder, "." + p.name() + DONE_SUFFIX);
        if (!fs.exists(out) || !fs.exists(done)) {
            return false;
        }
        long len = fs.getFileStatus(done).getLen();
        if (len > 4096) {
            return false;
        }
        String[] lines = new String(HadoopRanges.read(fs, done, 0, (int) len), StandardCharsets.UTF_8).split("\n");
        return lines.length == 2
                && lines[0].equals(p.digest())
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
    private static void writeIndex(
            FileSystem fs, Path outFolder, Checkpoint ckpt, Map<String, String> weightMap, List<ShardPlan> plans)
            throws IOException {
        JsonObject root = new JsonObject();
        JsonObject metadata = ckpt.indexMetadata() == null
                ? new JsonObject()
                : ckpt.indexMetadata().deepCopy();
        long total = 0;
        for (ShardPlan p : plans) {
            Path out = new Path(outFolder, p.name());
            long size = fs.getFileStatus(out).getLen();
            byte[] header = HadoopRanges.header(fs, out, size);
            total += size - header.length;
        }
        metadata.addProperty("total_size", total);
        root.add("metadata", metadata);
        JsonObject map = new JsonObject();
        weightMap.forEach(map::addProperty);
        root.add("weight_map", map);
        String text = new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(root) + "\n";
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
}
