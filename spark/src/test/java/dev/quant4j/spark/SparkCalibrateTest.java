package dev.quant4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.annotations.ActivationCalibration;
import dev.quant4j.calibrate.ActivationObserver;
import dev.quant4j.calibrate.ActivationObservers;
import dev.quant4j.calibrate.HistogramObserver;
import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.calibrate.MinMaxObserver;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.model.ActivationScales;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibration statistics recorded on Spark chunk by chunk against one process. */
class SparkCalibrateTest {
    private static final String SOURCE = TinyModelSource.class.getName();

    @TempDir
    Path dir;

    @BeforeAll
    static void quietSpark() {
        SparkQuantizeTest.quietSpark();
    }

    /** 400 records of 1 to 12 token ids, with blank lines, CRLF endings and no final newline. */
    private Path data() throws IOException {
        Random rnd = new Random(5);
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < 400; r++) {
            int n = 1 + rnd.nextInt(12);
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : " ").append(rnd.nextInt(TinyModelSource.VOCAB));
            }
            b.append(r % 17 == 0 ? "\r\n" : "\n");
            if (r % 29 == 0) {
                b.append("\n");
            }
        }
        Path file = dir.resolve("calibration.txt");
        Files.writeString(file, b.toString().stripTrailing());
        return file;
    }

    /** Every record of the file, in order, recorded by one source, one observer per layer: no chunks. */
    private static void flat(
            Path file, ActivationCalibration method, InputStatistics stats, Map<String, ActivationObserver> observers)
            throws IOException {
        TinyModelSource source = new TinyModelSource();
        source.open(Map.of());
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                source.record(line, (path, x, rows, cols) -> {
                    stats.add(path, x, rows, cols);
                    observers
                            .computeIfAbsent(path, k -> ActivationObservers.create(method))
                            .observe(x, 0, rows * cols);
                });
            }
        }
    }

    @Test
    void mergedStatisticsEqualTheSingleProcessOnesAndObserversEqualOneObserverOverAllRecords() throws IOException {
        Path file = data();
        Configuration conf = new Configuration();
        List<CalibrationJob.Result> spark = new ArrayList<>();
        // Entropy shares the percentile's histogram; the command test below runs it.
        List<ActivationCalibration> methods = List.of(ActivationCalibration.PERCENTILE, ActivationCalibration.MIN_MAX);
        try (JavaSparkContext sc =
                new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("calibrate"))) {
            sc.setLogLevel("WARN");
            for (ActivationCalibration m : methods) {
                spark.add(CalibrationJob.run(
                        sc, file.toString(), new CalibrationJob.Settings(SOURCE, Map.of(), true, m, 700)));
            }
        }
        for (int i = 0; i < methods.size(); i++) {
            ActivationCalibration m = methods.get(i);
            CalibrationJob.Result s = spark.get(i);
            CalibrationJob.Result local = CalibrationJob.runInProcess(
                    conf, file.toString(), new CalibrationJob.Settings(SOURCE, Map.of(), true, m, 700));
            assertTrue(s.chunks() > 10, "chunks: " + s.chunks());
            assertEquals(400, s.records());
            assertEquals(local.records(), s.records());
            InputStatistics flatStats = InputStatistics.withSecondMoments();
            Map<String, ActivationObserver> flatObservers = new java.util.LinkedHashMap<>();
            flat(file, m, flatStats, flatObservers);
            assertEquals(
                    List.of(TinyModelSource.UP, TinyModelSource.DOWN),
                    List.copyOf(s.inputs().paths()));
            for (String path : s.inputs().paths()) {
                // Spark against one process, chunk by chunk: the same bits.
                assertArrayEquals(local.inputs().meanSquares(path), s.inputs().meanSquares(path), path);
                assertArrayEquals(local.inputs().secondMoments(path), s.inputs().secondMoments(path), path);
                assertEquals(flatStats.rows(path), s.inputs().rows(path), path);
                // Against one recording of every row: the double sums differ in rounding only.
                double[] a = flatStats.secondMoments(path);
                double[] b = s.inputs().secondMoments(path);
                for (int j = 0; j < a.length; j++) {
                    assertEquals(a[j], b[j], 1e-12 * Math.abs(a[j]) + 1e-300, path + " moment " + j);
                }
                ActivationObserver merged = s.observers().get(path);
                ActivationObserver one = flatObservers.get(path);
                assertEquals(one.threshold(), merged.threshold(), path);
                assertEquals(local.observers().get(path).threshold(), merged.threshold(), path);
                switch (merged) {
                    case HistogramObserver h -> {
                        HistogramObserver o = (HistogramObserver) one;
                        assertArrayEquals(o.counts(), h.counts(), path);
                        assertEquals(o.rangeExponent(), h.rangeExponent(), path);
                        assertEquals(o.amax(), h.amax(), path);
                        assertEquals(o.total(), h.total(), path);
                    }
                    case MinMaxObserver mm -> {
                        assertEquals(((MinMaxObserver) one).min(), mm.min(), path);
                        assertEquals(((MinMaxObserver) one).max(), mm.max(), path);
                    }
                    default -> throw new AssertionError(merged);
                }
            }
        }
    }

    @Test
    void theCommandWritesTheFilesTheCliQuantizesWithAndTheInProcessRunWritesTheSameBytes() throws IOException {
        Path file = data();
        String[] common = {
            "--source-option", "seed=14", "--second-moments", "--activations", "entropy", "--chunk-bytes", "1024"
        };
        SparkQuantizeTest.Run r = calibrateTo(file, common, "s.safetensors", "a.safetensors", "--master", "local[2]");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("recorded 400 records in "), r.err());
        SparkQuantizeTest.Run p = calibrateTo(file, common, "s1.safetensors", "a1.safetensors", "--in-process");
        assertEquals(0, p.code(), p.err());
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("s1.safetensors")), Files.readAllBytes(dir.resolve("s.safetensors")));
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("a1.safetensors")), Files.readAllBytes(dir.resolve("a.safetensors")));
        try (SafetensorsReader a = SafetensorsReader.open(dir.resolve("a.safetensors"))) {
            assertEquals(2, a.tensors().size());
            assertTrue(a.readFloatTensor(a.tensor(TinyModelSource.UP + ActivationScales.SUFFIX))
                            .data()[0]
                    > 0f);
        }
        InputStatistics loaded = InputStatistics.load(dir.resolve("s.safetensors"));
        assertEquals(List.of(TinyModelSource.UP, TinyModelSource.DOWN), List.copyOf(loaded.paths()));

        // The CLI quantizes the tiny model's weights with it: GPTQ finds second moments for both layers.
        float[][] w = TinyModelSource.weights(14);
        Path model = dir.resolve("model.safetensors");
        SafetensorsWriter.write(
                model,
                Map.of(),
                List.of(
                        TensorSpec.floats(
                                TinyModelSource.UP,
                                FloatTensor.of(w[1], TinyModelSource.HIDDEN, TinyModelSource.DIM),
                                Dtype.F32),
                        TensorSpec.floats(
                                TinyModelSource.DOWN,
                                FloatTensor.of(w[2], TinyModelSource.DIM, TinyModelSource.HIDDEN),
                                Dtype.F32)));
        String[] options = {
            "--scheme",
            "q4f:block32:f16",
            "--calibration",
            "gptq",
            "--calibration-data",
            dir.resolve("s.safetensors").toString()
        };
        SparkQuantizeTest.Run gptq = cliQuantize(model, "gptq.safetensors", options);
        assertEquals(0, gptq.code(), gptq.err());
        assertFalse(gptq.err().contains("unweighted"), gptq.err());
        SparkQuantizeTest.Run mse =
                cliQuantize(model, "mse.safetensors", "--scheme", "q4f:block32:f16", "--calibration", "mse", "-q");
        assertEquals(0, mse.code(), mse.err());
        assertFalse(
                java.util.Arrays.equals(
                        Files.readAllBytes(dir.resolve("mse.safetensors")),
                        Files.readAllBytes(dir.resolve("gptq.safetensors"))),
                "gptq wrote what mse writes");

        // spark quantize with the same calibration: the CLI's bytes per shard, and its note for a tensor
        // the statistics do not cover.
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        SafetensorsWriter.write(
                ckpt.resolve("a.safetensors"),
                Map.of(),
                List.of(TensorSpec.floats(
                        TinyModelSource.UP,
                        FloatTensor.of(w[1], TinyModelSource.HIDDEN, TinyModelSource.DIM),
                        Dtype.BF16)));
        SafetensorsWriter.write(
                ckpt.resolve("b.safetensors"),
                Map.of(),
                List.of(
                        TensorSpec.floats(
                                TinyModelSource.DOWN,
                                FloatTensor.of(w[2], TinyModelSource.DIM, TinyModelSource.HIDDEN),
                                Dtype.F16),
                        TensorSpec.floats(
                                "other.weight",
                                FloatTensor.of(w[0], TinyModelSource.VOCAB, TinyModelSource.DIM),
                                Dtype.F32)));
        SparkQuantizeTest.Run q = SparkQuantizeTest.spark(concat(
                new String[] {
                    "spark",
                    "quantize",
                    ckpt.toString(),
                    dir.resolve("ckpt-out").toString(),
                    "--master",
                    "local[2]"
                },
                options));
        assertEquals(0, q.code(), q.err());
        assertTrue(q.err().contains("quant4j spark quantize: note: 1 imatrix/gptq tensors had no entry in "), q.err());
        for (String shard : List.of("a.safetensors", "b.safetensors")) {
            SparkQuantizeTest.Run c =
                    cliQuantize(ckpt.resolve(shard), "cli-" + shard, concat(new String[] {"-q"}, options));
            assertEquals(0, c.code(), c.err());
            assertArrayEquals(
                    Files.readAllBytes(dir.resolve("cli-" + shard)),
                    Files.readAllBytes(dir.resolve("ckpt-out").resolve(shard)),
                    shard);
        }
    }

    @Test
    void aBadRecordFailsTheJobNamingTheFileAndByteAndMovingAverageIsRefused() throws IOException {
        Path file = dir.resolve("bad.txt");
        Files.writeString(file, "1 2 3\n4 five 6\n");
        SparkQuantizeTest.Run r = sparkCalibrate(
                file, SOURCE, "--statistics", dir.resolve("s.safetensors").toString(), "--master", "local[1]");
        assertEquals(2, r.code(), r.err());
        assertTrue(
                r.err().startsWith("quant4j spark calibrate: file:" + file + " at byte 6: 'five' is not a token id"),
                r.err());
        assertFalse(Files.exists(dir.resolve("s.safetensors")));
        SparkQuantizeTest.Run m = sparkCalibrate(
                file,
                SOURCE,
                "--activations",
                "movingminmax",
                "--activation-scales",
                dir.resolve("a.safetensors").toString(),
                "--in-process");
        assertEquals(2, m.code(), m.err());
        assertTrue(
                m.err().contains("--activations movingminmax: MOVING_AVERAGE_MIN_MAX observers do not merge"), m.err());
        SparkQuantizeTest.Run c = sparkCalibrate(
                file,
                "no.such.Source",
                "--statistics",
                dir.resolve("s.safetensors").toString(),
                "--in-process");
        assertEquals(2, c.code(), c.err());
        assertTrue(c.err().contains("calibration source class no.such.Source is not on the class path"), c.err());
    }

    @Test
    void recordsAreSplitAtLineStartsWhateverTheChunkSize() throws IOException {
        Path file = dir.resolve("split.txt");
        Files.writeString(file, "1 2\n\n33 4\r\n5\n  \n66 77 88\r\n9 10 11 12\n\n\n13\n14 15 16 17 18 19 20\n21");
        List<String> expected =
                Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file.toString());
        var fs = org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()).getRaw();
        long size = Files.size(file);
        for (long chunk : new long[] {1, 2, 3, 5, 7, 11, 16, size, size + 5}) {
            List<String> got = new ArrayList<>();
            for (long start = 0; start < size; start += chunk) {
                CalibrationJob.forEachRecord(fs, p, start, Math.min(size, start + chunk), (o, t) -> got.add(t));
            }
            assertEquals(expected, got, "chunk " + chunk);
        }
    }

    /** {@code quant4j spark calibrate DATA --source SOURCE OPTIONS...}. */
    private static SparkQuantizeTest.Run sparkCalibrate(Path data, String source, String... options) {
        return SparkQuantizeTest.spark(
                concat(new String[] {"spark", "calibrate", data.toString(), "--source", source}, options));
    }

    /**
     * Calibrates on {@code data} with the tiny model and {@code common} options where {@code where} says
     * (--master URL, or --in-process), writing the statistics and the activation scales to the files
     * {@code statistics} and {@code scales} of the test folder.
     */
    private SparkQuantizeTest.Run calibrateTo(
            Path data, String[] common, String statistics, String scales, String... where) {
        return sparkCalibrate(
                data,
                SOURCE,
                concat(
                        concat(common, where),
                        "--statistics",
                        dir.resolve(statistics).toString(),
                        "--activation-scales",
                        dir.resolve(scales).toString()));
    }

    /** {@code quant4j quantize IN OUT OPTIONS...}, OUT a file of the test folder. */
    private SparkQuantizeTest.Run cliQuantize(Path in, String out, String... options) {
        return SparkQuantizeTest.cli(
                concat(new String[] {"quantize", in.toString(), dir.resolve(out).toString()}, options));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
