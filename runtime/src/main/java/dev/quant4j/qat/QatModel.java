package dev.quant4j.qat;

import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.QuantizationReport;
import dev.quant4j.model.WeightField;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Quantization-aware training of an annotated model, through its generated visitor (PyTorch's and
 * torchao's {@code prepare -> train -> convert}):
 *
 * <pre>{@code
 * QatModel qat = QatModel.prepare(model);        // masters copied; the fields now hold fake-quantized values
 * for (...) {
 *     forward and backward with the model as it is (its fields hold the fake-quantized weights);
 *     qat.straightThrough("fc1.weight", grad);   // gradient w.r.t. the master: 0 where clipped
 *     optimizer.step(qat.master("fc1.weight"), grad);
 *     qat.refresh();                             // fake-quantize the updated masters into the fields
 * }
 * qat.convert();                                 // real quantized weights, equal to the last forward's
 * }</pre>
 *
 * <p>The trainer updates the float32 master weights ({@link #master}); the model's forward reads its own
 * {@code @Quantize} fields, which hold {@code dequantize(quantize(master))} after each {@link #refresh}. A
 * field whose scheme declares activation quantization gets an {@link ActivationFakeQuantizer}
 * ({@link #activations}) for the model's forward to apply to that layer's input.
 *
 * <p>{@link #convert} puts into each field the very quantized tensor the last refresh dequantized, so the
 * converted model computes with bit-identical weights. Plain {@code float[]} fields need the agent for
 * that, as {@link Quantization#quantizeWeights}; {@code QuantizableTensor} fields do not.
 */
public final class QatModel {
    private final Object model;
    private final Map<String, Target> targets;
    private boolean converted;

    private QatModel(Object model, Map<String, Target> targets) {
        this.model = model;
        this.targets = targets;
    }

    /** Prepares every {@code @Quantize} field that holds floats, each with its annotated scheme. */
    public static QatModel prepare(Object model) {
        return prepare(model, WeightField::scheme);
    }

    /**
     * Prepares every {@code @Quantize} field that holds floats, with the scheme {@code schemes} gives it
     * (e.g. one scheme for all fields, to compare schemes on one model).
     *
     * @throws IllegalStateException naming the field when a field is quantized already (dequantize it first)
     * @throws dev.quant4j.errors.QuantizationException naming the field for weights the scheme cannot take
     */
    public static QatModel prepare(Object model, Function<WeightField, QuantScheme> schemes) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(schemes, "schemes");
        Map<String, Target> targets = new LinkedHashMap<>();
        for (WeightField f : Quantization.fields(model)) {
            if (!f.isQuantizable() || !f.isPresent()) {
                continue;
            }
            if (f.isQuantized()) {
                throw new IllegalStateException("field '" + f.path() + "' is quantized already; quantization-aware"
                        + " training starts from float32 weights (Quantization.dequantizeWeights first)");
            }
            QuantScheme scheme = Objects.requireNonNull(schemes.apply(f), "scheme of " + f.path())
                    .validate();
            FloatTensor floats = f.floats();
            ActivationFakeQuantizer activations = scheme.activations() == ActivationMode.NONE
                    ? null
                    : new ActivationFakeQuantizer(f.path(), scheme.activations(), scheme.activationCalibration());
            targets.put(
                    f.path(), new Target(scheme, floats.shape(), floats.data().clone(), activations));
        }
        QatModel qat = new QatModel(model, targets);
        qat.refresh();
        return qat;
    }

    /** The paths of the prepared fields, in visiting order. */
    public List<String> paths() {
        return List.copyOf(targets.keySet());
    }

    /** The scheme a prepared field is fake-quantized with. */
    public QuantScheme scheme(String path) {
        return target(path).scheme;
    }

    /** The float32 master weights of a field: the array itself, for the optimizer to update in place. */
    public float[] master(String path) {
        return target(path).master;
    }

    /** The last forward's fake quantization of a field (its quantized tensor, values and mask). */
    public FakeQuantized lastForward(String path) {
        return target(path).last;
    }

    /** The activation fake quantizer of a field; null when its scheme keeps float32 activations. */
    public ActivationFakeQuantizer activations(String path) {
        return target(path).activations;
    }

    /** Every activation fake quantizer, by field path. */
    public Map<String, ActivationFakeQuantizer> activationQuantizers() {
        Map<String, ActivationFakeQuantizer> out = new LinkedHashMap<>();
        targets.forEach((p, t) -> {
            if (t.activations != null) {
                out.put(p, t.activations);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /**
     * The clipped straight-through estimator for a field: turns {@code gradient}, with respect to the
     * fake-quantized values the forward used, into the gradient with respect to the master, in place.
     */
    public float[] straightThrough(String path, float[] gradient) {
        return target(path).last.backward(gradient);
    }

    /**
     * Fake-quantizes every master into its field (after an optimizer step), through the generated visitor.
     *
     * @throws IllegalStateException after {@link #convert}
     */
    public void refresh() {
        requireNotConverted();
        Quantization.simulate(model, (path, weights, annotated) -> {
            Target t = targets.get(path);
            if (t == null) {
                // A field that was null at prepare and got a value since: not trained, so not touched.
                throw new IllegalStateException("field '" + path + "' was not prepared for quantization-aware"
                        + " training (it held null then); prepare the model again");
            }
            t.last = FakeQuantize.apply(path, FloatTensor.of(t.master, t.shape), t.scheme);
            return t.last.quantized();
        });
    }

    /** Freezes every static activation observer (for evaluation). */
    public void freezeObservers() {
        targets.values().forEach(t -> {
            if (t.activations != null) {
                t.activations.freeze();
            }
        });
    }

    /** Lets every static activation observer observe again. */
    public void unfreezeObservers() {
        targets.values().forEach(t -> {
            if (t.activations != null) {
                t.activations.unfreeze();
            }
        });
    }

    /**
     * Ends training: every prepared field gets the real quantized tensor of the last forward, whose
     * dequantized values are bit for bit what the forward computed with; the observers are frozen, so the
     * activation quantizers keep the scales training ended with. The masters are dropped.
     *
     * @throws dev.quant4j.errors.AgentNotActiveException for plain array fields without the agent; nothing
     *         changes then
     */
    public QuantizationReport convert() {
        requireNotConverted();
        Map<String, QuantizedTensor> last = new LinkedHashMap<>();
        targets.forEach((p, t) -> last.put(p, t.last.quantized()));
        QuantizationReport report = Quantization.quantizeWeights(model, (path, weights, annotated) -> {
            QuantizedTensor q = last.get(path);
            if (q == null) {
                throw new IllegalStateException("field '" + path + "' was not prepared for quantization-aware"
                        + " training; prepare the model again");
            }
            return q;
        });
        freezeObservers();
        converted = true;
        List<String> paths = new ArrayList<>(targets.keySet());
        for (String p : paths) {
            targets.get(p).master = null;
        }
        return report;
    }

    private void requireNotConverted() {
        if (converted) {
            throw new IllegalStateException("this model was converted; prepare it again for more training");
        }
    }

    private Target target(String path) {
        Target t = targets.get(path);
        if (t == null) {
            throw new IllegalArgumentException("no prepared field '" + path + "'; prepared: " + targets.keySet());
        }
        return t;
    }

    private static final class Target {
        final QuantScheme scheme;
        final int[] shape;
        float[] master;
        final ActivationFakeQuantizer activations;
        FakeQuantized last;

        Target(QuantScheme scheme, int[] shape, float[] master, ActivationFakeQuantizer activations) {
            this.scheme = scheme;
            this.shape = shape;
            this.master = master;
            this.activations = activations;
        }
    }
}
