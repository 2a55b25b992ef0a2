package dev.quant4j.examples.minilm.demo;

import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.MiniLmModel;
import dev.quant4j.examples.minilm.SentenceEncoder;
import java.util.Locale;
import java.util.function.Function;

/**
 * The two ways the demo holds the model's weights. {@link #text()} is the name on the command line
 * ({@code --mode}) and in the JSON output.
 */
enum DemoMode {
    /** {@link HolderMiniLmModel}: {@code QuantizableTensor} fields, no agent; runs in the demo's JVM. */
    HOLDER("holder", HolderMiniLmModel::new),
    /** {@link MiniLmModel}: plain {@code float[]} fields kept quantized by the Java agent; runs in a child JVM. */
    AGENT("agent", MiniLmModel::new);

    private final String text;
    private final Function<MiniLmConfig, SentenceEncoder> emptyModel;

    DemoMode(String text, Function<MiniLmConfig, SentenceEncoder> emptyModel) {
        this.text = text;
        this.emptyModel = emptyModel;
    }

    String text() {
        return text;
    }

    /** This mode's model variant of that shape, without weights. */
    SentenceEncoder emptyModel(MiniLmConfig config) {
        return emptyModel.apply(config);
    }

    /**
     * The mode named {@code text} (any case).
     *
     * @throws IllegalArgumentException when no mode has that name
     */
    static DemoMode named(String text) {
        for (DemoMode m : values()) {
            if (m.text.equals(text.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("no mode '" + text + "': use holder or agent");
    }

    @Override
    public String toString() {
        return text;
    }
}
