package dev.quant4j.it.model;

import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.util.function.Consumer;

/** Quantizes one float[] field the way {@code Quantization.quantizeWeights} does (see {@link TinyModelQuantizer}). */
public final class FieldQuantizer {
    private static final Quantizer Q8 = Quantizer.of("q8s");

    private FieldQuantizer() {}

    /** Quantizes {@code floats}, the value of {@code owner}'s field {@code key}; {@code clear} writes null to it. */
    public static <T> QuantizedTensor quantize(T owner, String key, float[] floats, Consumer<T> clear) {
        QuantizedTensor q = Q8.quantize(key, FloatTensor.vector(floats));
        FieldHooks.requireStore(key).replaceWithQuantized(owner, key, q, () -> clear.accept(owner));
        return q;
    }
}
