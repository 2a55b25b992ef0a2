package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * What the two model variants share: the module structure (embeddings, then the layers), the sizes and
 * the forward pass ({@link EncoderMath}). The variants differ only in the modules they build, whose
 * weight fields say how the weights are held: {@link MiniLmModel} builds plain-array modules for the
 * Java agent, {@link HolderMiniLmModel} holder modules. The generated visitor walks the modules by their
 * runtime class, so both have the same field paths ({@code embeddings.wordEmbeddings},
 * {@code layers[0].queryWeight}, ...).
 */
@QuantModule
public abstract sealed class EncoderModel implements SentenceEncoder permits MiniLmModel, HolderMiniLmModel {

    final EmbeddingWeights embeddings;
    final EncoderLayerWeights[] layers;
    private final MiniLmConfig config;

    EncoderModel(MiniLmConfig config, EmbeddingWeights embeddings, EncoderLayerWeights[] layers) {
        this.config = config;
        this.embeddings = embeddings;
        this.layers = layers;
    }

    /** {@code config.layers()} empty layers made by {@code layer}. */
    static <L extends EncoderLayerWeights> L[] layers(
            MiniLmConfig config, IntFunction<L[]> array, Function<MiniLmConfig, L> layer) {
        L[] layers = array.apply(config.layers());
        for (int l = 0; l < layers.length; l++) {
            layers[l] = layer.apply(config);
        }
        return layers;
    }

    /** The sizes this model was built with. */
    public final MiniLmConfig config() {
        return config;
    }

    @Override
    public final int dimension() {
        return config.hidden();
    }

    @Override
    public final int maxTokens() {
        return config.maxPositions();
    }

    @Override
    public final float[] embed(int[] tokenIds) {
        return EncoderMath.embed(embeddings, layers, tokenIds);
    }

    /** The encoder output, {@code [n, hidden]} row-major: what the ONNX graph calls last_hidden_state. */
    public final float[] lastHiddenState(int[] tokenIds) {
        return EncoderMath.lastHiddenState(embeddings, layers, tokenIds);
    }
}
