package dev.quant4j.spark;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.calibrate.ActivationObserver;
import dev.quant4j.calibrate.ActivationObservers;
import dev.quant4j.calibrate.CalibrationSource;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.io.DisplayText;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Data-parallel calibration: the input statistics ({@link InputStatistics}: sums of {@code x_j^2}, and of
 * {@code x x^T} for GPTQ) and the activation observers of every layer a {@link CalibrationSource} reports,
 * computed on chunks of a calibration file on Spark's executors and merged on the driver.
 *
 * <p><b>Chunks, not partitions.</b> The calibration data (a text file, or a folder of them, one record a
 * non-blank line) is cut into chunks of {@code chunkBytes} bytes of each file; a chunk holds the lines that
 * start in it, in file order. Each chunk is one task and its own recording; the driver merges the chunks in
 * chunk order. The result therefore depends on the data and the chunk size only, never on the number of
 * executors, the order tasks finish in, retries or speculation; and {@link #runInProcess} (no Spark) gives
 * the same bits. Observers' min/max and histogram counts merge exactly in any order; the double sums are
 * exact for a given chunk size (a different chunk size rounds differently, in the last bits).
 */
public final class CalibrationJob {
    /**
     * What to record.
     *
     * @param sourceClass   a {@link CalibrationSource} with a public no-argument constructor
     * @param options       passed to {@link CalibrationSource#open}
     * @param secondMoments also sum {@code x x^T} (GPTQ), {@code cols^2 / 2} doubles per layer
     * @param activations   the observers' method, or null for none
     * @param chunkBytes    bytes of a file per chunk (task)
     */
    public record Settings(
            String sourceClass,
            Map<String, String> options,
            boolean secondMoments,
            ActivationCalibration activations,
            long chunkBytes)
            implements Serializable {
        public Settings {
            options = new TreeMap<>(options);
        }
    }

    /** The merged recording. */
    public record Result(long records, int chunks, InputStatistics inputs, Map<String, ActivationObserver> observers) {}

    /** One task: the lines starting in bytes [start, end) of a file. */
    record Chunk(int index, String file, long start, long end) implements Serializable {}

    /** One chunk's recording. */
    record ChunkResult(
            int index, long records, InputStatistics inputs, LinkedHashMap<String, ActivationObserver> observers)
            implements Serializable {}

    /** Sources ready for another chunk, per class and options: a model is loaded once per thread, not per task. */
    private static final Map<String, Queue<CalibrationSource>> POOL = new ConcurrentHashMap<>();

    private CalibrationJob() {}

    /** Runs the recording on Spark: one task per chunk, merged on the driver in chunk order. */
    public static Result run(JavaSparkContext sc, String data, Settings settings) throws IOException {
        Configuration conf = sc.hadoopConfiguration();
        List<Chunk> chunks = plan(conf, data, settings);
        Broadcast<SerializableConfiguration> confCast = sc.broadcast(new SerializableConfiguration(conf));
        List<ChunkResult> results;
        try {
            results = sc.parallelize(chunks, Math.max(chunks.size(), 1))
                    .map(c -> compute(c, settings, confCast.value().value()))
                    .collect();
        } catch (Exception e) {
            throw SparkErrors.unwrap(e);
        } finally {
            confCast.destroy();
        }
        return merge(settings, results);
    }

    /** The same recording in this process, chunk after chunk, with no Spark: the same bits as {@link #run}. */
    public static Result runInProcess(Configuration conf, String data, Settings settings) throws IOException {
        List<ChunkResult> results = new ArrayList<>();
        for (Chunk c : plan(conf, data, settings)) {
            results.add(compute(c, settings, conf));
        }
        return merge(settings, results);
    }

    /** Checks the settings and the source on the driver, and cuts the data into chunks. */
    static List<Chunk> plan(Configuration conf, String data, Settings settings) throws IOException {
        if (settings.chunkBytes() < 1) {
            throw new CalibrationException("the chunk size must be at least 1 byte, got " + settings.chunkBytes());
        }
        if (settings.activations() != null) {
            try {
                ActivationObservers.create(settings.activations())
                        .merge(ActivationObservers.create(settings.activations()));
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                throw new CalibrationException(
                        "--activations " + QuantScheme.token(settings.activations()) + ": " + e.getMessage());
            }
        }
        newSource(settings.sourceClass()).close();
        Path root = new Path(data);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.exists(root)) {
            throw new CalibrationException("no such file or folder: " + root);
        }
        List<FileStatus> files = new ArrayList<>();
        if (fs.getFileStatus(root).isDirectory()) {
            TreeSet<String> names = new TreeSet<>();
            for (FileStatus s : fs.listStatus(root)) {
                String n = s.getPath().getName();
                if (s.isFile() && !n.startsWith(".") && !n.startsWith("_")) {
                    names.add(n);
                }
            }
            for (String n : names) {
                files.add(fs.getFileStatus(new Path(root, n)));
            }
        } else {
            files.add(fs.getFileStatus(root));
        }
        List<Chunk> chunks = new ArrayList<>();
        for (FileStatus f : files) {
            for (long start = 0; start < f.getLen(); start += settings.chunkBytes()) {
                chunks.add(new Chunk(
                        chunks.size(),
                        f.getPath().toString(),
                        start,
                        Math.min(f.getLen(), start + settings.chunkBytes())));
            }
        }
        if (chunks.isEmpty()) {
            throw new CalibrationException(root + " holds no calibration records (no file, or only empty files)");
        }
        return chunks;
    }

    static CalibrationSource newSource(String className) {
        try {
            Class<?> c = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
            if (!CalibrationSource.class.isAssignableFrom(c)) {
                throw new CalibrationException("calibration source " + DisplayText.escape(className) + " does not "
                        + "implement " + CalibrationSource.class.getName());
            }
            return (CalibrationSource) c.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new CalibrationException("calibration source class " + DisplayText.escape(className) + " is not on "
                    + "the class path; add its jar (spark-submit --jars, or the driver's class path)");
        } catch (ReflectiveOperationException e) {
            throw new CalibrationException("calibration source " + DisplayText.escape(className) + " cannot be made: "
                    + "it needs a public no-argument constructor (" + e + ")");
        }
    }

    private static String poolKey(Settings s) {
        return s.sourceClass() + "\n" + s.options();
    }

    private static CalibrationSource borrow(Settings s) throws IOException {
        CalibrationSource ready = POOL.computeIfAbsent(poolKey(s), k -> new ConcurrentLinkedQueue<>())
                .poll();
        if (ready != null) {
            return ready;
        }
        CalibrationSource fresh = newSource(s.sourceClass());
        fresh.open(s.options());
        return fresh;
    }

    /** Runs on an executor: records one chunk with a source of its own. */
    static ChunkResult compute(Chunk c, Settings s, Configuration conf) throws IOException {
        InputStatistics inputs = s.secondMoments() ? InputStatistics.withSecondMoments() : new InputStatistics();
        LinkedHashMap<String, ActivationObserver> observers = new LinkedHashMap<>();
        CalibrationSource.InputSink sink = (path, x, rows, cols) -> {
            inputs.add(path, x, rows, cols);
            if (s.activations() != null) {
                observers
                        .computeIfAbsent(path, k -> ActivationObservers.create(s.activations()))
                        .observe(x, 0, Math.multiplyExact(rows, cols));
            }
        };
        CalibrationSource source = borrow(s);
        boolean reusable = false;
        long[] records = {0};
        try {
            Path file = new Path(c.file());
            forEachRecord(file.getFileSystem(conf), file, c.start(), c.end(), (offset, text) -> {
                try {
                    source.record(text, sink);
                } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
                    throw new CalibrationException(file + " at byte " + offset + ": " + e.getMessage(), e);
                }
                records[0]++;
            });
            reusable = true;
        } finally {
            if (reusable) {
                POOL.get(poolKey(s)).add(source);
            } else {
                source.close();
            }
        }
        return new ChunkResult(c.index(), records[0], inputs, observers);
    }

    @FunctionalInterface
    interface RecordConsumer {
        void accept(long offset, String record) throws IOException;
    }

    /**
     * The non-blank lines that start in bytes [start, end) of a file, in order (as Hadoop's line reader
     * splits: a line that starts before {@code start} belongs to the chunk before), without their
     * {@code \n} or {@code \r\n}. Reads the chunk and the rest of its last line only.
     */
    static void forEachRecord(FileSystem fs, Path file, long start, long end, RecordConsumer consumer)
            throws IOException {
        try (FSDataInputStream raw = fs.open(file)) {
            long pos = Math.max(start - 1, 0);
            raw.seek(pos);
            // A small chunk reads little past its end: the rest of its last line.
            BufferedInputStream in = new BufferedInputStream(raw, (int) Math.min(1 << 16, end - start + 256));
            int b = 0;
            if (start > 0) {
                while ((b = in.read()) != -1) {
                    pos++;
                    if (b == '\n') {
                        break;
                    }
                }
            }
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (pos < end && b != -1) {
                long lineStart = pos;
                line.reset();
                while ((b = in.read()) != -1) {
                    pos++;
                    if (b == '\n') {
                        break;
                    }
                    line.write(b);
                }
                String text = line.toString(StandardCharsets.UTF_8);
                if (text.endsWith("\r")) {
                    text = text.substring(0, text.length() - 1);
                }
                if (!text.isBlank()) {
                    consumer.accept(lineStart, text);
                }
            }
        }
    }

    /** The chunks' recordings added in chunk order: the one order both paths use. */
    static Result merge(Settings s, List<ChunkResult> results) {
        List<ChunkResult> ordered = new ArrayList<>(results);
        ordered.sort(Comparator.comparingInt(ChunkResult::index));
        InputStatistics inputs = s.secondMoments() ? InputStatistics.withSecondMoments() : new InputStatistics();
        Map<String, ActivationObserver> observers = new LinkedHashMap<>();
        long records = 0;
        for (ChunkResult r : ordered) {
            inputs.merge(r.inputs());
            r.observers()
                    .forEach((path, o) -> observers
                            .computeIfAbsent(path, k -> ActivationObservers.create(s.activations()))
                            .merge(o));
            records += r.records();
        }
        return new Result(records, ordered.size(), inputs, observers);
    }

    /** Writes the statistics file {@code quant4j quantize --calibration-data} reads ({@link InputStatistics#save}). */
    public static void writeStatistics(Configuration conf, String file, InputStatistics inputs) throws IOException {
        Path target = new Path(file);
        HadoopCommit.write(target.getFileSystem(conf), target, inputs::save);
    }

    /**
     * Writes the frozen activation scales as a file of {@code PATH.__activation_scale} tensors (F32
     * {@code [1]}), which {@code ModelFiles.loadActivationScales} reads.
     *
     * @throws CalibrationException naming a layer whose observer saw no value
     */
    public static void writeActivationScales(
            Configuration conf, String file, Result result, ActivationCalibration method) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        result.observers().forEach((path, o) -> {
            if (!o.hasObserved()) {
                throw new CalibrationException("layer '" + DisplayText.escape(path) + "' was reported with no input "
                        + "values; its activation scale cannot be frozen");
            }
            specs.add(TensorSpec.floats(
                    path + ActivationScales.SUFFIX, FloatTensor.of(new float[] {o.scale()}, 1), Dtype.F32));
        });
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("activation_calibration", QuantScheme.token(method));
        metadata.put("calibration_records", Long.toString(result.records()));
        Path target = new Path(file);
        HadoopCommit.write(
                target.getFileSystem(conf), target, local -> SafetensorsWriter.write(local, metadata, specs));
    }
}
