package dev.quant4j.examples.minilm;

import dev.quant4j.annotations.QuantModule;

/**
 * all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) as sentence encoder, with its weights in plain
 * {@code float[]} fields annotated {@code @Quantize} ({@link Embeddings}, {@link EncoderLayer}): float32
 * as loaded, and kept quantized in memory by the Java agent after {@code Quantization.quantizeWeights(model)}.
 * <pre>
 *   token ids -> embeddings -> 6 encoder layers -> mean over all tokens -> L2 normalisation
 * </pre>
 * The pooling and normalisation are those of LangChain4j's {@code AllMiniLmL6V2EmbeddingModel}, so the
 * vectors can be compared with it one to one. {@link HolderMiniLmModel} is the same model with holder
 * fields; both run {@link EncoderMath}.
 */
@QuantModule
public final class MiniLmModel extends EncoderModel {

    /**
     * A model of this shape without weights: fill it with {@code Quantization.importState}, as
     * {@code MiniLmLoader.model} does from the ONNX file and {@code ModelFiles.load} from a saved one.
     */
    public MiniLmModel(MiniLmConfig config) {
        super(config, new Embeddings(config), layers(config, EncoderLayer[]::new, EncoderLayer::new));
    }
}
