package dev.quant4j.calibrate;

import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.SafetensorsReader;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorInfo;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.kernels.Kernels;
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
 * <p>Saved as a safetensors file: one F32 tensor per weight path holding its mean squares (and, when
 * recorded, {@code PATH.__second_moments}, F32 {@code [cols, cols]}, for GPTQ), and the metadata {@code "input_statistics": "mean_square"} and {@code "rows.PATH"} (how many input rows were
 * averaged), so a file can be merged with another recording. Thread-safe. Serializable (the double sums
 * themselves), so recordings made on several machines can be merged exactly where they meet.
 */
public final class InputStatistics implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** The metadata key that marks a statistics file, and its value. */
    public static final String KIND_KEY = "input_statistics";

    public static final String KIND = "mean_square";
    private static final String ROWS_PREFIX = "rows.";

    /** The suffix of the tensor holding a path's second moments in a saved file. */
    public static final String SECOND_MOMENTS_SUFFIX = ".__second_moments";

    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private final Map<String, Long> rows = new LinkedHashMap<>();
    /** Upper triangles of the sums of x x^T, row-major cols x cols, when recorded (for GPTQ). */
    private final Map<String, double[]> products = new LinkedHashMap<>();

    private final boolean secondMoments;

    /** Statistics of the diagonal only (for IMATRIX). */
    public InputStatistics() {
        this(false);
    }

    private InputStatistics(boolean secondMoments) {
        this.secondMoments = secondMoments;
    }

    /**
     * Statistics that also keep the whole second moment {@code E[x x^T]} of each layer's inputs, which
     * {@link Gptq} needs: {@code cols^2 / 2} doubles and as many multiply-adds per input row.
     */
    public static InputStatistics withSecondMoments() {
        return new InputStatistics(true);
    }

    /**
     * Adds {@code n} input rows of {@code cols} values each ({@code x} row-major {@code [n, cols]}) to the
     * statistics of weight {@code path}.
     *
     * @throws IllegalArgumentException if {@code x} is too short, or {@code cols} differs from earlier rows
     */
    public synchronized void add(String path, float[] x, int n, int cols) {
        if ((long) n * cols > x.length) {
            throw new IllegalArgumentException("inputs of '" + path + "': " + n + " rows of " + cols + " values need "
                    + (long) n * cols + " floats, got " + x.length);
        }
        double[] s = sums.computeIfAbsent(path, k -> new double[cols]);
        if (s.length != cols) {
            throw new IllegalArgumentException(
                    "inputs of '" + path + "' have " + cols + " values per row, earlier" + " rows had " + s.length);
        }
        for (int r = 0; r < n; r++) {
            int base = r * cols;
            for (int j = 0; j < cols; j++) {
                double v = x[base + j];
                s[j] += v * v;
            }
        }
        if (secondMoments) {
            addProducts(products.computeIfAbsent(path, k -> new double[cols * cols]), x, n, cols);
        }
        rows.merge(path, (long) n, Long::sum);
    }

    /** Input rows each pass of {@link #addProducts} takes for one row of the triangle. */
    static final int ROWS_PER_PASS = 4;

    /** The accumulation of the products, {@link #addProducts}: the scalar reference and a SIMD version. */
    interface Products {
        /** As {@link #addProducts}, from the rows already widened to double ({@code d [n, cols]}): the same bits. */
        void add(double[] p, double[] d, int n, int cols);
    }

    private static final Products SCALAR = InputStatistics::addScalar;

    /**
     * Adds {@code x_ri * x_rk} to the upper triangle {@code p[i][k]} (k >= i) for every row r, each element's
     * terms in row order: {@code p += x_0i x_0k, then x_1i x_1k, ...}. The products of two floats are exact
     * in double, so only the additions round, and each element sees them in the same order as adding one
     * row at a time would. The loops run over the rows of p outermost and take {@value #ROWS_PER_PASS} input
     * rows per pass, so each row of p is read and written once per pass while it sits in cache (a
     * {@code 1536 x 1536} triangle is 9 MB: streaming all of it once per input row made the recording
     * memory-bound). The SIMD kernels' {@code PanamaSecondMoments} gives the same bits.
     */
    static void addProducts(double[] p, float[] x, int n, int cols) {
        double[] d = new double[n * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = x[i];
        }
        Simd.PRODUCTS.add(p, d, n, cols);
    }

    /** The scalar reference of {@link #addProducts}. */
    static void addScalar(double[] p, double[] d, int n, int cols) {
        for (int i = 0; i < cols; i++) {
            int at = i * cols;
            int r = 0;
            for (; r + ROWS_PER_PASS <= n; r += ROWS_PER_PASS) {
                int b0 = r * cols;
                int b1 = b0 + cols;
                int b2 = b1 + cols;
                int b3 = b2 + cols;
                double a0 = d[b0 + i];
                double a1 = d[b1 + i];
                double a2 = d[b2 + i];
                double a3 = d[b3 + i];
                for (int k = i; k < cols; k++) {
                    p[at + k] = p[at + k] + a0 * d[b0 + k] + a1 * d[b1 + k] + a2 * d[b2 + k] + a3 * d[b3 + k];
                }
            }
            addRows(p, d, r, n, cols, i);
        }
    }

    /** Rows {@code from .. n} of {@code d} into row i of the triangle, one at a time (what a pass leaves). */
    static void addRows(double[] p, double[] d, int from, int n, int cols, int i) {
        int at = i * cols;
        for (int r = from; r < n; r++) {
            int b = r * cols;
            double a = d[b + i];
            for (int k = i; k < cols; k++) {
                p[at + k] += a * d[b + k];
            }
        }
    }

    /** The products kernel's name, for tests and logs: {@code scalar} or {@code panama-N}. */
    static String productsKernelName() {
        return Simd.PRODUCTS.equals(SCALAR) ? "scalar" : Simd.PRODUCTS.toString();
    }

    /** Loads the Vector API kernel by name when the SIMD kernels run (as {@code ScaleSearch} does). */
    private static final class Simd {
        static final Products PRODUCTS = load();

        private static Products load() {
            if (Kernels.active().equals(Kernels.scalar()) || !Kernels.vectorModulePresent()) {
                return SCALAR;
            }
            try {
                return Class.forName("dev.quant4j.calibrate.PanamaSecondMoments")
                        .asSubclass(Products.class)
                        .getDeclaredConstructor()
                        .newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.getLogger("dev.quant4j.calibrate")
                        .log(
                                System.Logger.Level.WARNING,
                                "quant4j calibrate: the SIMD second-moment kernel failed to load, the scalar one"
                                        + " runs: " + e);
                return SCALAR;
            }
        }
    }

    /** Adds another recording's sums (for the same model) to these. */
    public synchronized void merge(InputStatistics other) {
        for (String path : other.paths()) {
            double[] o = other.sumsOf(path);
            double[] s = sums.computeIfAbsent(path, k -> new double[o.length]);
            if (s.length != o.length) {
                throw new IllegalArgumentException(
                        "statistics of '" + path + "' have " + o.length + " inputs here and " + s.length + " there");
            }
            for (int j = 0; j < s.length; j++) {
                s[j] += o[j];
            }
            rows.merge(path, other.rows(path), Long::sum);
            double[] op = other.productsOf(path);
            if (op != null) {
                double[] p = products.computeIfAbsent(path, k -> new double[op.length]);
                for (int j = 0; j < p.length; j++) {
                    p[j] += op[j];
                }
            }
        }
    }

    private synchronized double[] productsOf(String path) {
        double[] p = products.get(path);
        return p == null ? null : p.clone();
    }

    /**
     * The second moment {@code E[x x^T]} of the inputs of weight {@code path}, {@code cols x cols}
     * row-major and symmetric, or null when it was not recorded.
     */
    public synchronized double[] secondMoments(String path) {
        double[] p = products.get(path);
        if (p == null) {
            return null;
        }
        int cols = sums.get(path).length;
        long n = Math.max(rows.get(path), 1);
        double[] out = new double[cols * cols];
        for (int i = 0; i < cols; i++) {
            for (int k = i; k < cols; k++) {
                double v = p[i * cols + k] / n;
                out[i * cols + k] = v;
                out[k * cols + i] = v;
            }
        }
        return out;
    }

    private synchronized double[] sumsOf(String path) {
        return sums.get(path).clone();
    }

    /** The weight paths that have statistics, in the order they were first recorded. */
    public synchronized Set<String> paths() {
        return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(sums.keySet()));
    }

    /**
     * True when the second moments of the inputs of weight {@code path} were recorded: what
     * {@link #secondMoments} would return non-null, without building its {@code cols x cols} copy.
     */
    public synchronized boolean hasSecondMoments(String path) {
        return products.containsKey(path);
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
            double[] full = secondMoments(path);
            if (full != null) {
                float[] f = new float[full.length];
                for (int j = 0; j < f.length; j++) {
                    f[j] = (float) full[j];
                }
                specs.add(TensorSpec.floats(
                        path + SECOND_MOMENTS_SUFFIX, FloatTensor.of(f, m.length, m.length), Dtype.F32));
            }
        }
        SafetensorsWriter.write(file, metadata, specs);
    }

    /**
     * Reads a file written by {@link #save}.
     *
     * @throws SafetensorsFormatException naming the file and the tensor when it is not a statistics file
     */
    public static InputStatistics load(Path file) throws IOException {
        InputStatistics out = new InputStatistics(true);
        try (SafetensorsReader in = SafetensorsReader.open(file)) {
            Map<String, String> meta = in.userMetadata();
            if (!KIND.equals(meta.get(KIND_KEY))) {
                throw new SafetensorsFormatException(
                        file,
                        null,
                        0,
                        "not an input statistics file: its metadata has no " + "\"" + KIND_KEY + "\": \"" + KIND
                                + "\"; record one with the demo's --record-statistics");
            }
            for (TensorInfo t : in.tensors()) {
                if (t.name().endsWith(SECOND_MOMENTS_SUFFIX)) {
                    continue;
                }
                String rowsText = meta.get(ROWS_PREFIX + t.name());
                long n;
                try {
                    n = Long.parseLong(rowsText == null ? "" : rowsText);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                float[] m = in.readFloats(t);
                if (n < 0 || t.shape().length != 1) {
                    throw new SafetensorsFormatException(
                            file,
                            t.name(),
                            0,
                            "statistics of '" + t.name()
                                    + "' need a rank-1 tensor and a whole number \"" + ROWS_PREFIX + t.name()
                                    + "\" in the metadata");
                }
                double[] s = new double[m.length];
                for (int j = 0; j < m.length; j++) {
                    if (!(m[j] >= 0f) || m[j] == Float.POSITIVE_INFINITY) {
                        throw new SafetensorsFormatException(
                                file,
                                t.name(),
                                0,
                                "mean square " + j + " of '" + t.name() + "' is " + m[j]
                                        + "; it must be finite and >= 0");
                    }
                    s[j] = (double) m[j] * n;
                }
                out.sums.put(t.name(), s);
                out.rows.put(t.name(), n);
                TensorInfo full = in.tensor(t.name() + SECOND_MOMENTS_SUFFIX);
                if (full != null) {
                    float[] f = in.readFloats(full);
                    if (f.length != m.length * m.length) {
                        throw new SafetensorsFormatException(
                                file,
                                full.name(),
                                0,
                                "second moments of '" + t.name() + "' need " + m.length + " x " + m.length
                                        + " values, the file holds " + f.length);
                    }
                    double[] p = new double[f.length];
                    for (int i = 0; i < m.length; i++) {
                        for (int k = i; k < m.length; k++) {
                            float v = f[i * m.length + k];
                            if (!Float.isFinite(v)) {
                                throw new SafetensorsFormatException(
                                        file,
                                        full.name(),
                                        0,
                                        "second moment (" + i + ", " + k + ") of '" + t.name() + "' is " + v
                                                + "; it must be finite");
                            }
                            p[i * m.length + k] = (double) v * n;
                        }
                    }
                    out.products.put(t.name(), p);
                }
            }
        }
        return out;
    }

    /**
     * Statistics that were not recorded: each path's mean squares as given, for example derived from a
     * model's own parameters (the gain and bias of the LayerNorm a layer reads, docs/CALIBRATION.md,
     * "Data-free importance"). Each path counts as one input row, so {@link #meanSquares} gives the values
     * back exactly and {@link #merge} with a recording weighs it as one row. Diagonal only (no second
     * moments, so GPTQ falls back to IMATRIX on them).
     *
     * @param meanSquares per weight path, one value per element of the weight's last dimension
     * @throws IllegalArgumentException naming the path and the index of a value that is not finite and
     *         {@code >= 0}, or an empty array
     */
    public static InputStatistics ofMeanSquares(Map<String, float[]> meanSquares) {
        return ofMoments(meanSquares, Map.of());
    }

    /**
     * As {@link #ofMeanSquares}, and for the paths of {@code secondMoments} a whole second moment
     * {@code E[x x^T]} as given ({@code cols x cols} row-major, symmetric; its upper triangle is kept), whose
     * diagonal is that path's mean squares, for {@link Gptq}. A path may be in one map only.
     *
     * @throws IllegalArgumentException naming the path for a path in both maps, a matrix that is not square
     *         or not finite, or a diagonal value below 0
     */
    public static InputStatistics ofMoments(Map<String, float[]> meanSquares, Map<String, double[]> secondMoments) {
        InputStatistics out = new InputStatistics(!secondMoments.isEmpty());
        for (Map.Entry<String, float[]> e : meanSquares.entrySet()) {
            if (secondMoments.containsKey(e.getKey())) {
                throw new IllegalArgumentException("'" + e.getKey() + "' has mean squares and second moments; its"
                        + " mean squares are the diagonal of its second moments, give only those");
            }
            float[] m = e.getValue();
            if (m.length == 0) {
                throw new IllegalArgumentException("mean squares of '" + e.getKey() + "': give at least one value");
            }
            double[] s = new double[m.length];
            for (int j = 0; j < m.length; j++) {
                if (!(m[j] >= 0f) || m[j] == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("mean square " + j + " of '" + e.getKey() + "' is " + m[j]
                            + "; it must be finite and >= 0");
                }
                s[j] = m[j];
            }
            out.sums.put(e.getKey(), s);
            out.rows.put(e.getKey(), 1L);
        }
        for (Map.Entry<String, double[]> e : secondMoments.entrySet()) {
            double[] full = e.getValue();
            int cols = (int) Math.round(Math.sqrt(full.length));
            if (cols == 0 || (long) cols * cols != full.length) {
                throw new IllegalArgumentException("second moments of '" + e.getKey() + "' hold " + full.length
                        + " values; give a square cols x cols matrix, row-major");
            }
            double[] s = new double[cols];
            double[] p = new double[full.length];
            for (int i = 0; i < cols; i++) {
                for (int k = i; k < cols; k++) {
                    double v = full[i * cols + k];
                    if (!Double.isFinite(v) || (k == i && v < 0)) {
                        throw new IllegalArgumentException("second moment (" + i + ", " + k + ") of '" + e.getKey()
                                + "' is " + v + "; it must be finite, and >= 0 on the diagonal");
                    }
                    p[i * cols + k] = v;
                }
                s[i] = full[i * cols + i];
            }
            out.sums.put(e.getKey(), s);
            out.rows.put(e.getKey(), 1L);
            out.products.put(e.getKey(), p);
        }
        return out;
    }
}
