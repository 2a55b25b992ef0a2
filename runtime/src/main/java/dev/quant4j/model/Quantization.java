package dev.quant4j.model;

import dev.quant4j.errors.AgentNotActiveException;
import dev.quant4j.fields.QuantizedFields;
import dev.quant4j.model.QuantizationReport.Entry;
import dev.quant4j.model.QuantizationReport.Operation;
import dev.quant4j.model.QuantizationReport.Outcome;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Whole-model operations on an annotated model, through its generated visitor:
 *
 * <pre>{@code
 * QuantizationReport report = Quantization.quantizeWeights(model);   // every @Quantize field, its own scheme
 * System.out.print(report);
 * Map<String, Object> state = Quantization.exportState(model);       // path -> QuantizedTensor / FloatTensor
 * Quantization.importState(freshModel, state);
 * }</pre>
 *
 * <p>The model is any object whose class (or a superclass) has a generated visitor; see
 * {@link ModelVisitors}. Every operation checks everything it can before it changes anything: a
 * failure (a missing agent, a non-finite weight, a shape that does not fit) leaves the model as it was.
 *
 * <p>Fields that hold null are absent: they are not quantized or exported, and importing leaves them
 * null when the state has no entry for them. Nested modules must exist before importing: importing fills
 * weights, it does not build structure.
 */
public final class Quantization {
    private Quantization() {}

    /** Walks every weight field of {@code model}, nested modules included, in declaration order. */
    public static void visit(Object model, WeightVisitor visitor) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(visitor, "visitor");
        ModelVisitors.visit(model, "", visitor);
    }

    /** Every weight field of {@code model} (quantizable or not), in visiting order. */
    public static List<WeightField> fields(Object model) {
        List<WeightField> out = new ArrayList<>();
        visit(model, out::add);
        return out;
    }

    /** {@link #quantizeWeights(Object, WeightQuantizer)} with {@link WeightQuantizer#standard()}. */
    public static QuantizationReport quantizeWeights(Object model) {
        return quantizeWeights(model, WeightQuantizer.standard());
    }

    /**
     * Quantizes every {@code @Quantize} field that holds floats, each with its annotated scheme, and keeps
     * the quantized data in place of the floats: in the holder for {@link QuantizableTensor} fields, in the
     * agent's field store for plain arrays. Fields already quantized are left as they are.
     *
     * <p>All fields are quantized before any is replaced, so a failure leaves the model unchanged; the
     * price is that the quantized data of the whole model exists next to its floats for a moment.
     *
     * @throws AgentNotActiveException naming the first plain array field when the agent is not active;
     *                                 nothing is quantized then (use {@link #simulate} to measure accuracy
     *                                 without the agent, or the holder type)
     * @throws dev.quant4j.errors.QuantizationException naming the field path for bad weights
     */
    public static QuantizationReport quantizeWeights(Object model, WeightQuantizer quantizer) {
        Objects.requireNonNull(quantizer, "quantizer");
        List<WeightField> targets = quantizable(model);
        if (!QuantizedFields.agentActive()) {
            for (WeightField f : targets) {
                if (f.needsAgent() && f.holdsNonNull()) {
                    throw new AgentNotActiveException(f.path());
                }
            }
        }
        List<Planned> plan = plan(targets, quantizer);
        List<Entry> entries = new ArrayList<>();
        for (Planned p : plan) {
            if (p.quantized == null) {
                entries.add(p.entry);
                continue;
            }
            p.field.putQuantized(p.quantized);
            entries.add(p.entry);
        }
        return new QuantizationReport(name(model), Operation.QUANTIZE, entries);
    }

    /** {@link #simulate(Object, WeightQuantizer)} with {@link WeightQuantizer#standard()}. */
    public static QuantizationReport simulate(Object model) {
        return simulate(model, WeightQuantizer.standard());
    }

    /**
     * Quantizes every {@code @Quantize} field that holds floats and writes the dequantized values back in
     * place: the model stays float32 but computes with exactly the values quantized weights would give.
     * For measuring accuracy; needs no agent. The report's entries carry the error of each field.
     */
    public static QuantizationReport simulate(Object model, WeightQuantizer quantizer) {
        Objects.requireNonNull(quantizer, "quantizer");
        List<Planned> plan = plan(quantizable(model), quantizer);
        List<Entry> entries = new ArrayList<>();
        for (Planned p : plan) {
            if (p.quantized == null) {
                entries.add(p.entry);
                continue;
            }
            float[] original = p.field.floats().data();
            float[] restored = p.quantized.dequantize().data();
            double max = 0;
            double squares = 0;
            for (int i = 0; i < original.length; i++) {
                double e = Math.abs((double) original[i] - restored[i]);
                max = Math.max(max, e);
                squares += e * e;
            }
            double rmse = original.length == 0 ? 0 : Math.sqrt(squares / original.length);
            p.field.overwrite(restored);
            Entry e = p.entry;
            entries.add(new Entry(
                    e.path(), e.scheme(), e.shape(), e.bytesBefore(), e.bytesAfter(), Outcome.SIMULATED, max, rmse));
        }
        return new QuantizationReport(name(model), Operation.SIMULATE, entries);
    }

    /**
     * Turns every quantized field (annotated or not) back into float32: holders get float holders, plain
     * arrays get their dequantized arrays and the field store drops the quantized data.
     */
    public static QuantizationReport dequantizeWeights(Object model) {
        List<Entry> entries = new ArrayList<>();
        for (WeightField f : fields(model)) {
            QuantizedTensor q = f.quantized();
            if (q == null) {
                continue;
            }
            FloatTensor floats = q.dequantize();
            f.putFloats(floats);
            entries.add(new Entry(
                    f.path(),
                    q.scheme(),
                    q.shape(),
                    q.byteSize(),
                    floats.byteSize(),
                    Outcome.DEQUANTIZED,
                    Double.NaN,
                    Double.NaN));
        }
        return new QuantizationReport(name(model), Operation.DEQUANTIZE, entries);
    }

    /**
     * The model's whole state as named tensors, in visiting order: each non-null weight field's path
     * mapped to its {@link QuantizedTensor} when it is quantized, else to its {@link FloatTensor}. Quantized
     * weights are never dequantized for this, and float arrays are shared, not copied (except
     * {@code float[][]} fields, which are joined into one array).
     */
    public static Map<String, Object> exportState(Object model) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (WeightField f : fields(model)) {
            Object v = f.value();
            if (v != null && out.put(f.path(), v) != null) {
                throw new IllegalStateException("two weight fields have the path '" + f.path() + "'");
            }
        }
        return out;
    }

    /**
     * Loads a state (from {@link #exportState}, or read from a file) into {@code model}: each value must be
     * a {@link FloatTensor} or a {@link QuantizedTensor} whose shape fits the field ({@code @Dims} shape,
     * or the shape of the value the field holds now, or for a null field any shape of the field's rank).
     * Quantized values are kept quantized; float arrays are shared with the state, not copied (except for
     * {@code float[][]} fields, which get rows of their own). Every key must name a field of the model, and
     * every field that holds a value must have a key.
     *
     * <p>To load quantized tensors into plain array fields without the agent, dequantize them first:
     * {@code state.replaceAll((k, v) -> v instanceof QuantizedTensor q ? q.dequantize() : v)}.
     *
     * @throws IllegalArgumentException listing every missing key, unknown key, misfit shape and quantized tensor for
     *                                  a plain field without {@code @Quantize} (its reads are not rewritten); nothing
     *                                  is changed then
     * @throws AgentNotActiveException  when the state fits the model but a plain array field would receive
     *                                  quantized data without the agent; nothing is changed then
     */
    public static void importState(Object model, Map<String, ?> state) {
        Objects.requireNonNull(state, "state");
        List<WeightField> fields = fields(model);
        List<String> problems = new ArrayList<>();
        Set<String> unknown = new LinkedHashSet<>(state.keySet());
        // The state is checked against the model in full before the agent is asked for: a state that does not fit
        // is reported as such, whether the agent is there or not, and "agent not active" only for one that fits.
        String firstNeedingAgent = null;
        for (WeightField f : fields) {
            unknown.remove(f.path());
            Object v = state.get(f.path());
            if (v == null) {
                if (f.isPresent()) {
                    problems.add("no tensor for field '" + f.path() + "'");
                }
                continue;
            }
            int[] shape;
            if (v instanceof QuantizedTensor q) {
                shape = q.shape();
                if (f.needsAgent() && !f.isQuantizable()) {
                    // The agent rewrites the reads of @Quantize fields only: this one would read as null.
                    problems.add("field '" + f.path() + "' is a plain " + describe(f)
                            + " without @Quantize but the state "
                            + "holds it quantized (" + q.scheme() + "); annotate the field @Quantize, or dequantize "
                            + "that tensor before importing");
                } else if (f.needsAgent() && firstNeedingAgent == null) {
                    firstNeedingAgent = f.path();
                }
            } else if (v instanceof FloatTensor t) {
                shape = t.shape();
            } else {
                problems.add("'" + f.path() + "' maps to a " + v.getClass().getName()
                        + "; values must be FloatTensor or QuantizedTensor");
                continue;
            }
            int rank = f.requiredRank();
            int[] expected = f.expectedShape();
            if (expected != null && !Arrays.equals(expected, shape)) {
                problems.add("field '" + f.path() + "' has shape " + Arrays.toString(expected) + " but the state holds "
                        + Arrays.toString(shape));
            } else if (rank >= 0 && shape.length != rank) {
                problems.add("field '" + f.path() + "' is " + describe(f) + " of rank " + rank
                        + " but the state holds shape " + Arrays.toString(shape)
                        + (f.kind() == WeightField.Kind.FLOAT_ARRAY ? " (declare its shape with @Dims)" : ""));
            }
        }
        for (String k : unknown) {
            problems.add("the model has no weight field '" + k + "'");
        }
        if (!problems.isEmpty()) {
            int shown = Math.min(problems.size(), 20);
            throw new IllegalArgumentException(
                    "cannot import state into " + model.getClass().getName() + ": "
                            + String.join("; ", problems.subList(0, shown))
                            + (shown < problems.size() ? "; and " + (problems.size() - shown) + " more" : "")
                            + ". The state must hold one tensor per non-null weight field, named by its path"
                            + " (nested modules must exist before importing)");
        }
        if (firstNeedingAgent != null && !QuantizedFields.agentActive()) {
            throw new AgentNotActiveException(firstNeedingAgent);
        }
        for (WeightField f : fields) {
            Object v = state.get(f.path());
            if (v instanceof QuantizedTensor q) {
                f.putQuantized(q);
            } else if (v instanceof FloatTensor t) {
                f.putFloats(t);
            }
        }
    }

    private static String describe(WeightField f) {
        return switch (f.kind()) {
            case FLOAT_ARRAY -> "float[]";
            case FLOAT_ROWS -> "float[][]";
            case TENSOR -> "QuantizableTensor";
        };
    }

    private static List<WeightField> quantizable(Object model) {
        List<WeightField> out = new ArrayList<>();
        for (WeightField f : fields(model)) {
            if (f.isQuantizable()) {
                out.add(f);
            }
        }
        return out;
    }

    /** A field and its quantized data (null when it is quantized already), with its report entry. */
    private record Planned(WeightField field, QuantizedTensor quantized, Entry entry) {}

    private static List<Planned> plan(List<WeightField> targets, WeightQuantizer quantizer) {
        List<Planned> plan = new ArrayList<>();
        for (WeightField f : targets) {
            QuantizedTensor held = f.quantized();
            if (held != null) {
                plan.add(new Planned(
                        f,
                        null,
                        new Entry(
                                f.path(),
                                held.scheme(),
                                held.shape(),
                                held.byteSize(),
                                held.byteSize(),
                                Outcome.ALREADY_QUANTIZED,
                                Double.NaN,
                                Double.NaN)));
                continue;
            }
            FloatTensor floats = f.floats();
            if (floats == null) {
                continue;
            }
            QuantizedTensor q = quantizer.quantize(f.path(), floats, f.scheme());
            if (q == null || !Arrays.equals(q.shape(), floats.shape())) {
                throw new IllegalStateException(
                        "the quantizer returned " + (q == null ? "null" : "shape " + Arrays.toString(q.shape()))
                                + " for field '" + f.path() + "' of shape "
                                + Arrays.toString(floats.shape()) + "; it must return a tensor of the same shape");
            }
            plan.add(new Planned(
                    f,
                    q,
                    new Entry(
                            f.path(),
                            q.scheme(),
                            q.shape(),
                            floats.byteSize(),
                            q.byteSize(),
                            Outcome.QUANTIZED,
                            Double.NaN,
                            Double.NaN)));
        }
        return plan;
    }

    private static String name(Object model) {
        return model.getClass().getSimpleName();
    }
}
