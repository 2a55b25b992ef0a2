package dev.quant4j.examples.minilm;

import dev.quant4j.calibrate.InputStatistics;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records the input statistics of every linear layer (the mean square of each input, which
 * {@code imatrix} calibration weights its search with) while a float32 model embeds calibration
 * sentences. {@link Linear} reports each product's input here; a weight is known by the identity of its
 * float32 array, and its statistics are filed under the field's path, the name the quantizer is given.
 */
public final class InputRecorder {
    private static volatile InputRecorder active;

    private final Map<Object, String> paths = new IdentityHashMap<>();
    private final InputStatistics statistics;

    private InputRecorder(Object model, InputStatistics statistics) {
        this.statistics = statistics;
        for (WeightField f : Quantization.fields(model)) {
            // The float32 array itself (FloatTensor.data() is not a copy): what Linear multiplies.
            if (f.isQuantizable() && !f.isQuantized() && f.floats() != null) {
                paths.put(f.floats().data(), f.path());
            }
        }
    }

    /** Embeds each sentence with the (float32) model and returns what its linear layers saw. */
    public static synchronized InputStatistics record(SentenceEncoder model, List<int[]> tokenIds) {
        return record(model, tokenIds, new InputStatistics());
    }

    /**
     * As {@link #record(SentenceEncoder, List)}, into {@code statistics} (e.g.
     * {@link InputStatistics#withSecondMoments()} for GPTQ).
     */
    public static synchronized InputStatistics record(
            SentenceEncoder model, List<int[]> tokenIds, InputStatistics statistics) {
        InputRecorder r = new InputRecorder(model, statistics);
        active = r;
        try {
            for (int[] ids : tokenIds) {
                model.embed(ids);
            }
        } finally {
            active = null;
        }
        return r.statistics;
    }

    /** Called by {@link Linear} with a product's weight and its input {@code x [n, in]}. */
    static void observe(Object weights, float[] x, int n, int in) {
        InputRecorder r = active;
        if (r != null) {
            String path = r.paths.get(weights);
            if (path != null) {
                r.statistics.add(path, x, n, in);
            }
        }
    }
}
