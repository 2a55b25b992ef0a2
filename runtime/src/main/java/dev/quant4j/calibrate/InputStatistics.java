package dev.quant4j.calibrate;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.tensor.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The statistics {@link dev.quant4j.annotations.Calibration#IMATRIX} weights its search with: for each
 * linear layer's weight (by its field path), the mean of {@code x_j^2} over every input row {@code x} it
 * was applied to on calibration data, per input j (the diagonal of {@code E[x x^T]}, ggml's imatrix).
 * Sums are kept in double, so recording in any batch order gives the same means up to double rounding,
 * and two recordings merge by adding (as ggml's {@code --in-file}).
 *
 * <p>Saved as a safetensors file: one F32 tensor per weight path holding its mean squares, and the
 * metadata {@code "input_statistics": "mean_square"} and {@code "rows.PATH"} (how many input rows were
 * averaged), so a file can be merged with another recording. Thread-safe.
 */
public final class InputStatistics {
    /** The metadata key that marks a statistics file, and its value. */
    public static final String KIND_KEY = "input_statistics";
    public static final String KIND = "mean_square";
    private static final String ROWS_PREFIX = "rows.";

    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private final Map<String, Long> rows = new LinkedHashMap<>();

    /**
     * Adds {@code n} input rows of {@code cols} values each ({@code x} row-major {@code [n, cols]}) to the
     * statistics of weight {@code path}.
     *
     * @throws IllegalArgumentException if {@code x} is too short, or {@code cols} differs from earlier rows
     */
    public synchronized void add(String path, float[] x, int n, int cols) {
        if ((long) n * cols > x.length) {
            throw new IllegalArgumentException("inputs of '" + path + "': " + n + " rows of " + cols
                    + " values need " + (long) n * cols + " floats, got " + x.length);
        }
        double[] s = sums.computeIfAbsent(path, k -> new double[cols]);
        if (s.length != cols) {
            throw new IllegalArgumentException("inputs of '" + path + "' have " + cols + " values per row, earlier"
                    + " rows had " + s.length);
        }
        for (int r = 0; r < n; r++) {
            int base = r * cols;
            for (int j = 0; j < cols; j++) {
                double v = x[base + j];
                s[j] += v * v;
            }
        }
        rows.merge(path, (long) n, Long::sum);
    }

    /** Adds another recording's sums (for the same model) to these. */
    public synchronized void merge(InputStatistics other) {
        for (String path : other.paths()) {
            double[] o = other.sumsOf(path);
            double[] s = sums.computeIfAbsent(path, k -> new double[o.length]);
            if (s.length != o.length) {
                throw new IllegalArgumentException("statistics of '" + path + "' have " + o.length
                        + " inputs here and " + s.length + " there");
            }
            for (int j = 0; j < s.length; j++) {
                s[j] += o[j];
            }
            rows.merge(path, other.rows(path), Long::sum);
        }
    }

    private synchronized double[] sumsOf(String path) {
        return sums.get(path).clone();
    }

    /** The weight paths that have statistics, in the order they were first recorded. */
    public synchronized Set<String> paths() {
        return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(sums.keySet()));
    }

    /** How many input rows were recorded for {@code path} (0 if none). */
    public synchronized long rows(String path) {
        return rows.getOrDefault(path, 0L);
    }

    /** The mean square of each input of weight {@code path}, or null when none was recorded. */
    public synchronized float[] meanSquares(String path) {
        double[] s = sums.get(path);
        if (s == null) {
            return null;
        }
        long n = rows.get(path);
        float[] out = new float[s.length];
        for (int j = 0; j < s.length; j++) {
            out[j] = n == 0 ? 0f : (float) (s[j] / n);
        }
        return out;
    }

    /** Writes the statistics as a safetensors file (see the class comment). */
    public synchronized void save(Path file) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KIND_KEY, KIND);
        List<TensorSpec> specs = new ArrayList<>();
        for (String path : sums.keySet()) {
            metadata.put(ROWS_PREFIX + path, Long.toString(rows.get(path)));
            float[] m = meanSquares(path);
            specs.add(TensorSpec.floats(path, FloatTensor.of(m, m.length), Dtype.F32));
        }
        SafetensorsWriter.write(file, metadata, specs);
    }

    /**
     * Reads a file written by {@link #save}.
     *
     * @throws SafetensorsFormatException naming the file and the tensor when it is not a statistics file
     */
    public static InputStatistics load(Path file) throws IOException {
        InputStatistics out = new InputStatistics();
        try (SafetensorsReader in = SafetensorsReader.open(file)) {
            Map<String, String> meta = in.userMetadata();
            if (!KIND.equals(meta.get(KIND_KEY))) {
                throw new SafetensorsFormatException(file, null, 0, "not an input statistics file: its metadata has no "
                        + "\"" + KIND_KEY + "\": \"" + KIND + "\"; record one with the demo's --record-statistics");
            }
            for (TensorInfo t : in.tensors()) {
                String rowsText = meta.get(ROWS_PREFIX + t.name());
                long n;
                try {
                    n = Long.parseLong(rowsText == null ? "" : rowsText);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                float[] m = in.readFloats(t);
                if (n < 0 || t.shape().length != 1) {
                    throw new SafetensorsFormatException(file, t.name(), 0, "statistics of '" + t.name()
                            + "' need a rank-1 tensor and a whole number \"" + ROWS_PREFIX + t.name()
                            + "\" in the metadata");
                }
                double[] s = new double[m.length];
                for (int j = 0; j < m.length; j++) {
                    if (!(m[j] >= 0f) || m[j] == Float.POSITIVE_INFINITY) {
                        throw new SafetensorsFormatException(file, t.name(), 0, "mean square " + j + " of '"
                                + t.name() + "' is " + m[j] + "; it must be finite and >= 0");
                    }
                    s[j] = (double) m[j] * n;
                }
                out.sums.put(t.name(), s);
                out.rows.put(t.name(), n);
            }
        }
        return out;
    }
}
