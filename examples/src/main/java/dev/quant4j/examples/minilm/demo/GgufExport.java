package dev.quant4j.examples.minilm.demo;

import com.google.gson.stream.JsonWriter;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightQuantizer;
import dev.quant4j.quantize.Quantizer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./quant4j demo --save-gguf DIR}: all-MiniLM-L6-v2 as BERT GGUF files that llama.cpp runs, at
 * F32 and quantized with the two schemes that are ggml types (Q8_0, Q4_0), and our own vectors of the
 * demo sentences for each, so that llama.cpp's embeddings can be checked against ours
 * ({@code benchmarks/llama-cpp-embeddings.sh}).
 */
final class GgufExport {
    /** File stem, and our scheme (null: float32). */
    static final List<String[]> VARIANTS = List.of(new String[] {"f32", null},
            new String[] {"q8_0", "q8s:block32:f16"}, new String[] {"q4_0", "q4f:block32:f16"});
    static final String VECTORS_FILE = "vectors.json";

    private GgufExport() {
    }

    static void run(Path dir, List<String> sentences, PrintStream log) throws IOException {
        Files.createDirectories(dir);
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
        MiniLmConfig config = MiniLmLoader.config(weights);
        StringWriter json = new StringWriter();
        try (JsonWriter w = new JsonWriter(json)) {
            w.beginObject().name("sentences").beginArray();
            for (String s : sentences) {
                w.value(s);
            }
            w.endArray();
            for (String[] v : VARIANTS) {
                HolderMiniLmModel model = MiniLmLoader.holderModel(weights);
                if (v[1] != null) {
                    Quantization.quantizeWeights(model, WeightQuantizer.uniform(Quantizer.of(v[1])));
                }
                Path file = dir.resolve(v[0] + ".gguf");
                BertGguf.write(file, Quantization.exportState(model), config, tokenizer,
                        "all-MiniLM-L6-v2 " + (v[1] == null ? "f32" : v[1]));
                w.name(v[0]).beginArray();
                for (String s : sentences) {
                    w.beginArray();
                    for (float x : model.embed(tokenizer.encode(s))) {
                        w.value(x);
                    }
                    w.endArray();
                }
                w.endArray();
                log.printf(Locale.ROOT, "wrote %s (%,d bytes)%n", file, Files.size(file));
            }
            w.endObject();
        }
        Path vectors = dir.resolve(VECTORS_FILE);
        Files.writeString(vectors, json + "\n", StandardCharsets.UTF_8);
        log.printf(Locale.ROOT, "wrote %s (%d sentences x %d variants)%n", vectors, sentences.size(), VARIANTS.size());
    }
}
