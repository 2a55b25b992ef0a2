package dev.quant4j.examples.minilm.demo;

import com.google.gson.stream.JsonWriter;
import dev.quant4j.annotations.ActivationMode;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.io.gguf.GgmlBlocks;
import dev.quant4j.io.gguf.GgmlQuants;
import dev.quant4j.io.gguf.GgmlRecipe;
import dev.quant4j.io.gguf.GgmlType;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./quant4j demo --save-gguf DIR}: all-MiniLM-L6-v2 as BERT GGUF files that llama.cpp runs, and
 * our own vectors of the demo sentences for each, so that llama.cpp's embeddings can be checked against
 * ours ({@code benchmarks/llama-cpp-embeddings.sh}):
 * <ul>
 * <li>{@code f32}, and {@code q8_0} / {@code q4_0} quantized with the two of our schemes that are ggml
 *     types (q8s:block32:f16, q4f:block32:f16);</li>
 * <li>{@code q4_k} and {@code q4_k_m}: the float32 matrices quantized by ggml's own quantizers
 *     ({@code GgmlQuants}) as llama.cpp's recipes choose ({@code GgmlRecipe}; rows of 384 are not a
 *     multiple of 256, so most of MiniLM falls back to Q5_0 / Q8_0 there, as in llama.cpp).</li>
 * </ul>
 * llama.cpp quantizes the activations too inside each quantized product, so each quantized file has our
 * vectors three ways: weight-only ({@code "q8_0"}: float32 activations), with our dynamic W8A8 path
 * ({@code "q8_0_a8dyn"}: {@code a8dyn}, int8 per 32 columns with float32 scales; for the twins only) and
 * with the activations quantized by ggml's rule for each product ({@code "q8_0_a8ggml"}: what llama.cpp
 * computes, up to the order of its sums).
 */
final class GgufExport {
    /** File stem; our scheme, or the ggml recipe's name (null: float32). */
    static final List<String[]> VARIANTS = List.of(
            new String[] {"f32", null},
            new String[] {"q8_0", "q8s:block32:f16"},
            new String[] {"q4_0", "q4f:block32:f16"},
            new String[] {"q4_k", "q4_k"},
            new String[] {"q4_k_m", "q4_k_m"});

    static final String VECTORS_FILE = "vectors.json";

    private GgufExport() {}

    static void run(Path dir, List<String> sentences, PrintStream log) throws IOException {
        Files.createDirectories(dir);
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
        MiniLmConfig config = MiniLmLoader.config(weights);
        StringWriter json = new StringWriter();
        int written = 0;
        try (JsonWriter w = new JsonWriter(json)) {
            w.beginObject().name("sentences").beginArray();
            for (String s : sentences) {
                w.value(s);
            }
            w.endArray();
            for (String[] v : VARIANTS) {
                HolderMiniLmModel model = MiniLmLoader.holderModel(weights);
                Path file = dir.resolve(v[0] + ".gguf");
                String title = "all-MiniLM-L6-v2 " + (v[1] == null ? "f32" : v[1]);
                GgmlRecipe recipe = v[1] == null ? null : GgmlRecipe.named(v[1]);
                Map<String, GgmlType> types = new HashMap<>(); // field path -> ggml type of its matrix product
                if (recipe != null) {
                    Map<String, Object> state = new LinkedHashMap<>(Quantization.exportState(model));
                    Map<String, GgmlType> plan = plan(recipe, config, state);
                    BertGguf.write(file, state, config, tokenizer, title, plan);
                    // Our model: the same matrices, as ggml's blocks dequantize them.
                    for (BertGguf.Placement p : BertGguf.layout(config)) {
                        GgmlType t = plan.get(p.gguf());
                        if (t != null) {
                            FloatTensor f = (FloatTensor) state.get(p.field());
                            float[] back = new float[f.size()];
                            GgmlBlocks.dequantize(MemorySegment.ofArray(GgmlQuants.quantize(t, f.data())), t, back);
                            state.put(p.field(), FloatTensor.of(back, f.shape()));
                            types.put(p.field(), t);
                        }
                    }
                    Quantization.importState(model, state);
                    log.printf(Locale.ROOT, "%s: %s%n", v[0], GgmlRecipe.summary(plan));
                } else {
                    if (v[1] != null) {
                        Quantization.quantizeWeights(model, WeightQuantizer.uniform(Quantizer.of(v[1])));
                    }
                    Map<String, Object> state = Quantization.exportState(model);
                    BertGguf.write(file, state, config, tokenizer, title);
                    state.forEach((field, t) -> {
                        if (t instanceof QuantizedTensor q && q.shape().length == 2) {
                            types.put(field, GgmlBlocks.twin(q.scheme(), q.shape()));
                        }
                    });
                }
                vectors(w, v[0], model, tokenizer, sentences);
                written++;
                if (v[1] != null) {
                    if (recipe == null) {
                        model.activations(ActivationMode.DYNAMIC);
                        vectors(w, v[0] + "_a8dyn", model, tokenizer, sentences);
                        model.activations(null);
                        written++;
                    }
                    model.ggmlActivations(types::get);
                    vectors(w, v[0] + "_a8ggml", model, tokenizer, sentences);
                    model.ggmlActivations(null);
                    written++;
                }
                log.printf(Locale.ROOT, "wrote %s (%,d bytes)%n", file, Files.size(file));
            }
            w.endObject();
        }
        Path vectors = dir.resolve(VECTORS_FILE);
        Files.writeString(vectors, json + "\n", StandardCharsets.UTF_8);
        log.printf(Locale.ROOT, "wrote %s (%d sentences x %d sets of vectors)%n", vectors, sentences.size(), written);
    }

    /** The recipe's ggml type for each GGUF tensor; the tables and vectors that go in as F32 stay F32. */
    private static Map<String, GgmlType> plan(GgmlRecipe recipe, MiniLmConfig config, Map<String, Object> state) {
        List<GgmlRecipe.Entry> entries = new ArrayList<>();
        List<String> asFloat = new ArrayList<>();
        for (BertGguf.Placement p : BertGguf.layout(config)) {
            int[] shape = ((FloatTensor) state.get(p.field())).shape();
            entries.add(new GgmlRecipe.Entry(
                    p.gguf(), Arrays.stream(shape).asLongStream().toArray()));
            if (p.asFloat()) {
                asFloat.add(p.gguf());
            }
        }
        Map<String, GgmlType> plan = recipe.plan(entries);
        asFloat.forEach(n -> plan.put(n, null));
        return plan;
    }

    private static void vectors(
            JsonWriter w, String key, HolderMiniLmModel model, WordPieceTokenizer tokenizer, List<String> sentences)
            throws IOException {
        w.name(key).beginArray();
        for (String s : sentences) {
            w.beginArray();
            for (float x : model.embed(tokenizer.encode(s))) {
                w.value(x);
            }
            w.endArray();
        }
        w.endArray();
    }
}
