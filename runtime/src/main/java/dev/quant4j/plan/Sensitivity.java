package dev.quant4j.plan;

import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Each weight field's sensitivity: the model's output error (an {@link OutputError} on the user's calibration
 * inputs) when only that field is quantized, once per candidate scheme, with the size each scheme gives the
 * field. {@link Planner} chooses from it.
 *
 * <p>Measuring costs {@code 1 + sum over fields of their fitting candidates} passes of the forward function over
 * the calibration inputs (one for the float32 model, then one per field and candidate), plus one quantization of
 * each field per candidate (run in parallel, on threads that end before the passes); the model is left
 * as it was (float32). The quantized tensors are kept ({@link #quantizer}), so applying a plan to the same weights
 * quantizes nothing again.
 */
public final class Sensitivity {

    /**
     * One candidate for one field.
     *
     * @param scheme the scheme (with its calibration)
     * @param bytes  the field's size quantized with it: packed codes plus scales
     * @param error  the model's output error with only this field quantized with it
     */
    public record Option(QuantScheme scheme, long bytes, double error) {
        public Option {
            Objects.requireNonNull(scheme, "scheme");
            if (bytes < 0 || !Double.isFinite(error)) {
                throw new IllegalArgumentException("an option needs bytes >= 0 and a finite error, not " + bytes
                        + " bytes and error " + error + " (" + scheme + ")");
            }
        }
    }

    /**
     * One field the planner chooses a scheme for.
     *
     * @param path    the field's path
     * @param weights its number of elements
     * @param options the candidates that fit its shape, in the order given
     */
    public record Field(String path, long weights, List<Option> options) {
        public Field {
            Objects.requireNonNull(path, "path");
            options = List.copyOf(options);
            if (options.isEmpty()) {
                throw new IllegalArgumentException(
                        "field '" + path + "' has no candidate scheme; give one that fits it");
            }
        }
    }

    private final List<Field> fields;
    private final long fixedBytes;
    private final long weights;
    private final double baseline;
    private final int passes;

    /**
     * A sensitivity table measured elsewhere (or made up, for tests).
     *
     * @param fields     the fields to plan, each with its candidates
     * @param fixedBytes the bytes of every other weight field, as they stay (biases, norms: float32)
     * @param weights    the number of weights of the whole model (planned fields and the others), the divisor of
     *                   bits per weight
     * @param baseline   the output error with nothing quantized (0 when the reference is the model itself)
     * @param passes     the forward passes the measurement took
     */
    public Sensitivity(List<Field> fields, long fixedBytes, long weights, double baseline, int passes) {
        this.fields = List.copyOf(fields);
        long planned = 0;
        for (Field f : this.fields) {
            planned += f.weights();
        }
        if (fixedBytes < 0 || weights < planned || weights <= 0 || !Double.isFinite(baseline)) {
            throw new IllegalArgumentException(
                    "a sensitivity table needs fixedBytes >= 0, weights >= the planned fields' " + planned
                            + " (and > 0) and a finite baseline, not " + fixedBytes + ", " + weights + ", " + baseline);
        }
        this.fixedBytes = fixedBytes;
        this.weights = weights;
        this.baseline = baseline;
        this.passes = passes;
    }

    /** {@link #measure(Object, List, WeightQuantizer, OutputError, Consumer)} without progress lines. */
    public static Sensitivity measure(
            Object model, List<QuantScheme> candidates, WeightQuantizer quantizer, OutputError error) {
        return measure(model, candidates, quantizer, error, line -> {});
    }

    /**
     * Measures every {@code @Quantize} field of {@code model} that holds floats, with each candidate that fits its
     * shape: the field is quantized with {@code quantizer} (e.g. {@code WeightQuantizer.calibrated(kernels, null,
     * statistics)}, which takes the candidate's calibration), its dequantized values are written over its floats,
     * {@code error} is measured, and its floats are written back. The other weight fields count at their present
     * size. The model holds its original floats again when this returns or throws.
     *
     * @param progress gets one line per measurement (field, scheme, error)
     * @throws IllegalArgumentException naming a field that no candidate fits
     */
    public static Sensitivity measure(
            Object model,
            List<QuantScheme> candidates,
            WeightQuantizer quantizer,
            OutputError error,
            Consumer<String> progress) {
        Objects.requireNonNull(quantizer, "quantizer");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(progress, "progress");
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate schemes: give at least one, e.g. q4f:block32:f16");
        }
        List<WeightField> planned = new ArrayList<>();
        long fixed = 0;
        long weights = 0;
        for (WeightField f : Quantization.fields(model)) {
            if (!f.isPresent()) {
                continue;
            }
            weights += elements(f.shape());
            if (f.isQuantizable() && !f.isQuantized() && f.floats() != null) {
                planned.add(f);
            } else {
                fixed += f.byteSize();
            }
        }
        for (WeightField f : planned) {
            if (candidates.stream().noneMatch(c -> c.problemsFor(f.shape()).isEmpty())) {
                throw new IllegalArgumentException("no candidate scheme fits field '" + f.path() + "' of shape "
                        + Arrays.toString(f.shape()) + " (" + candidates + "); add one that does, e.g. q8s:tensor");
            }
        }
        // Every field with every candidate first, in parallel (the quantizer sees each field's own floats, copied);
        // then the passes, one at a time.
        List<float[]> originals = new ArrayList<>();
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < planned.size(); i++) {
            originals.add(planned.get(i).floats().data().clone());
            for (int c = 0; c < candidates.size(); c++) {
                if (candidates.get(c).problemsFor(planned.get(i).shape()).isEmpty()) {
                    pairs.add(new int[] {i, c});
                }
            }
        }
        progress.accept("quantizing " + planned.size() + " fields with " + candidates.size() + " candidates");
        QuantizedTensor[] quantized = new QuantizedTensor[pairs.size()];
        // Threads of its own, ended before the passes: whatever per-thread scratch the quantizer keeps goes with them
        // (pool threads that stayed idle would hold it, and let it go at a moment no caller chose).
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), pairs.size()));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int k = 0; k < pairs.size(); k++) {
                int kk = k;
                done.add(pool.submit(() -> {
                    int i = pairs.get(kk)[0];
                    WeightField f = planned.get(i);
                    quantized[kk] = quantizer.quantize(
                            f.path(),
                            FloatTensor.of(originals.get(i).clone(), f.shape()),
                            candidates.get(pairs.get(kk)[1]));
                }));
            }
            for (java.util.concurrent.Future<?> d : done) {
                d.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("quantizing a candidate failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while quantizing the candidates", e);
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        double base = error.measure();
        int passes = 1;
        progress.accept(String.format(Locale.ROOT, "float32: error %.6g", base));
        List<Field> out = new ArrayList<>();
        java.util.Map<String, QuantizedTensor> cache = new java.util.HashMap<>();
        int k = 0;
        for (int i = 0; i < planned.size(); i++) {
            WeightField f = planned.get(i);
            float[] original = originals.get(i);
            List<Option> options = new ArrayList<>();
            try {
                for (; k < pairs.size() && pairs.get(k)[0] == i; k++) {
                    QuantScheme c = candidates.get(pairs.get(k)[1]);
                    QuantizedTensor q = quantized[k];
                    f.overwriteFloats(q.dequantize().data());
                    double e = error.measure();
                    passes++;
                    f.overwriteFloats(original);
                    options.add(new Option(c, q.byteSize(), e));
                    cache.put(key(f.path(), c), q);
                    progress.accept(String.format(Locale.ROOT, "%s %s: error %.6g", f.path(), c, e));
                }
            } finally {
                f.overwriteFloats(original);
            }
            out.add(new Field(f.path(), elements(f.shape()), options));
        }
        Sensitivity result = new Sensitivity(out, fixed, weights, base, passes);
        for (int i = 0; i < planned.size(); i++) {
            result.originals.put(planned.get(i).path(), originals.get(i));
        }
        result.quantized.putAll(cache);
        return result;
    }

    /** The field's floats as measured, and each (field, candidate)'s quantized tensor, for {@link #quantizer}. */
    private final java.util.Map<String, float[]> originals = new java.util.HashMap<>();

    private final java.util.Map<String, QuantizedTensor> quantized = new java.util.HashMap<>();

    private static String key(String path, QuantScheme scheme) {
        return path + "\u0000" + scheme;
    }

    /**
     * A quantizer that gives back (a copy of) the tensor this measurement quantized for a field and scheme when it
     * is asked for the same field, scheme and values (compared in full), and asks {@code base} otherwise: applying
     * or measuring a plan on the same weights then quantizes nothing again. (A table made with the constructor
     * holds no tensors: it always asks {@code base}.)
     */
    public WeightQuantizer quantizer(WeightQuantizer base) {
        Objects.requireNonNull(base, "base");
        return (path, w, scheme) -> {
            QuantizedTensor q = quantized.get(key(path, scheme));
            float[] original = originals.get(path);
            if (q != null
                    && original != null
                    && Arrays.equals(original, w.data())
                    && Arrays.equals(q.shape(), w.shape())) {
                // A copy: the model it goes into owns its codes and scales (and its heap counts them).
                return QuantizedTensor.fromKernel(
                        q.shape(), q.scheme(), q.codes().clone(), q.scales().clone());
            }
            return base.quantize(path, w, scheme);
        };
    }

    /**
     * The model's output error with every field quantized as {@code plan} says, measured: one quantization of
     * each planned field and one pass of {@code error}. The model holds its original floats again afterwards.
     */
    public static double measure(Object model, Plan plan, WeightQuantizer quantizer, OutputError error) {
        List<WeightField> touched = new ArrayList<>();
        List<float[]> originals = new ArrayList<>();
        try {
            for (WeightField f : Quantization.fields(model)) {
                QuantScheme s = plan.schemeOf(f.path());
                if (s == null || !f.isPresent() || f.isQuantized() || f.floats() == null) {
                    continue;
                }
                float[] original = f.floats().data().clone();
                QuantizedTensor q = quantizer.quantize(f.path(), FloatTensor.of(original.clone(), f.shape()), s);
                touched.add(f);
                originals.add(original);
                f.overwriteFloats(q.dequantize().data());
            }
            return error.measure();
        } finally {
            for (int i = 0; i < touched.size(); i++) {
                touched.get(i).overwriteFloats(originals.get(i));
            }
        }
    }

    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** The fields to plan, in the model's visiting order. */
    public List<Field> fields() {
        return fields;
    }

    /** The bytes of the weight fields that are not planned, as they stay. */
    public long fixedBytes() {
        return fixedBytes;
    }

    /** The number of weights of the whole model. */
    public long weights() {
        return weights;
    }

    /** The output error of the float32 model. */
    public double baseline() {
        return baseline;
    }

    /** The forward passes the measurement took. */
    public int passes() {
        return passes;
    }

    /**
     * The report: one line per field and candidate, with the field's bits per weight and the error it adds over
     * the float32 model's alone.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int width = Plan.fieldColumnWidth(fields.stream().map(Field::path));
        sb.append(String.format(
                Locale.ROOT,
                "%-" + width + "s  %-28s %10s %6s %12s%n",
                "field",
                "scheme",
                "bytes",
                "bits",
                "added error"));
        for (Field f : fields) {
            for (Option o : f.options()) {
                sb.append(String.format(
                        Locale.ROOT,
                        "%-" + width + "s  %-28s %10d %6.3f %12.4e%n",
                        f.path(),
                        o.scheme(),
                        o.bytes(),
                        8.0 * o.bytes() / f.weights(),
                        o.error() - baseline));
            }
        }
        sb.append(String.format(
                Locale.ROOT, "float32 error %.4e; %d forward passes over the calibration inputs%n", baseline, passes));
        return sb.toString();
    }
}
