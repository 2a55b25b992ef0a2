package dev.quant4j.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.quant4j.examples.minilm.demo.Quality;
import dev.quant4j.examples.minilm.demo.Sentences;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxFormatException;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The float32 Java encoder against LangChain4j's AllMiniLmL6V2EmbeddingModel (ONNX Runtime). */
class MiniLmModelTest {

    private static final double MIN_COSINE = 0.9999;
    private static final double SAME_MATH_COSINE = 1 - 1e-7;

    private static OnnxWeights weights;
    private static MiniLm ours;
    private static AllMiniLmL6V2EmbeddingModel reference;

    @BeforeAll
    static void load() throws IOException {
        long start = System.nanoTime();
        weights = MiniLmLoader.weightsFromClasspath();
        ours = new MiniLm(MiniLmLoader.tokenizerFromClasspath(), MiniLmLoader.model(weights));
        System.out.printf("loaded the Java model in %.2f s%n", (System.nanoTime() - start) / 1e9);
        reference = new AllMiniLmL6V2EmbeddingModel();
    }

    /** The demo's cosine (in double; it rejects vectors of different lengths). */
    private static double cosine(float[] a, float[] b) {
        return Quality.cosine(a, b);
    }

    private static float[] referenceVector(String text) {
        return reference.embed(text).content().vector();
    }

    /** Our vectors for every line of sentences.txt, computed once and timed. */
    private static Map<String, float[]> oursOnSentences;

    private static synchronized Map<String, float[]> oursOnSentences() throws IOException {
        if (oursOnSentences == null) {
            List<String> sentences = Sentences.load();
            // Warm the JIT a little so that the timing below means something.
            for (int i = 0; i < 5; i++) {
                ours.embed(sentences.get(i));
            }
            Map<String, float[]> vectors = new LinkedHashMap<>();
            long tokens = 0;
            // CPU time too: on a shared machine wall time mostly measures the other processes.
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            for (String s : sentences) {
                vectors.put(s, ours.embed(s));
            }
            long nanos = System.nanoTime() - start;
            long cpuNanos = threads.getCurrentThreadCpuTime() - cpuStart;
            for (String s : sentences) {
                tokens += ours.tokenizer().encode(s).length;
            }
            System.out.printf(
                    "f32 Java encoder: %.1f ms wall, %.1f ms CPU per sentence, %.1f tokens on average,"
                            + " single thread%n",
                    nanos / 1e6 / sentences.size(),
                    cpuNanos / 1e6 / sentences.size(),
                    (double) tokens / sentences.size());
            oursOnSentences = vectors;
        }
        return oursOnSentences;
    }

    @Test
    void matchesLangChain4jOnEverySentence() throws IOException {
        double min = 1;
        String worst = null;
        for (Map.Entry<String, float[]> e : oursOnSentences().entrySet()) {
            float[] actual = e.getValue();
            assertEquals(384, actual.length);
            double c = cosine(referenceVector(e.getKey()), actual);
            if (c < min || worst == null) {
                min = c;
                worst = e.getKey();
            }
        }
        System.out.printf(
                "min cosine %.9f (1 - min = %.2e) over %d sentences (worst: %s)%n",
                min, 1 - min, oursOnSentences().size(), worst);
        assertTrue(min >= MIN_COSINE, "min cosine " + min + " < " + MIN_COSINE + " for: " + worst);
        // The bar above is the one quantized variants will be held to. Two float32 implementations of the
        // same math differ only by rounding (measured 1 - min ~ 3e-12), so also demand that: a real math
        // difference, e.g. GELU's tanh approximation instead of erf (1 - min ~ 2.4e-6), fails here.
        assertTrue(min >= SAME_MATH_COSINE, "min cosine " + min + " < " + SAME_MATH_COSINE + " for: " + worst);
    }

    @Test
    void nearestNeighbourOfASentenceIsItsParaphrase() throws IOException {
        Map<String, float[]> vectors = oursOnSentences();
        Map<String, String> paraphrases = Map.of(
                "The cat is sleeping on the sofa.",
                "A cat is asleep on the couch.",
                "Water boils at 100 degrees Celsius at sea level.",
                "At sea level, water reaches its boiling point at 100 °C.",
                "Quantizing weights to 8 bits makes the model four times smaller.",
                "Storing the weights as int8 instead of float32 shrinks the model by a factor of four.",
                "The central bank raised rates by a quarter of a point.",
                "Interest rates rose by 0.25 percentage points this month.",
                "How do I reset my password?",
                "I forgot my password and need a new one.",
                "Can dogs eat chocolate?",
                "Chocolate is poisonous to dogs.");
        for (Map.Entry<String, String> pair : paraphrases.entrySet()) {
            float[] query = vectors.get(pair.getKey());
            String nearest = null;
            double best = -2;
            for (Map.Entry<String, float[]> e : vectors.entrySet()) {
                double c = cosine(query, e.getValue());
                if (!e.getKey().equals(pair.getKey()) && c > best) {
                    best = c;
                    nearest = e.getKey();
                }
            }
            assertEquals(pair.getValue(), nearest, "nearest neighbour of: " + pair.getKey());
        }
    }

    @Test
    void matchesLangChain4jOnEdgeCases() {
        String longText =
                "The committee met again on Tuesday to discuss the budget, the schedule and the staffing plan. "
                        .repeat(12);
        for (String s : List.of(
                longText,
                "Héllo wörld, naïve café",
                "我爱北京天安门",
                "x",
                "!!!",
                "[MASK] me",
                "a".repeat(101) + " word",
                "I love pizza 🍕")) {
            double c = cosine(referenceVector(s), ours.embed(s));
            assertTrue(c >= SAME_MATH_COSINE, "cosine " + c + " for: " + s);
        }
        // Truncation is real: what comes after the 126th word piece does not change the vector.
        assertEquals(1.0, cosine(ours.embed(longText), ours.embed(longText + " Completely different ending.")), 1e-12);
    }

    @Test
    void holderVariantComputesExactlyTheSameFloat32Vectors() throws IOException {
        // The two variants share the forward pass; with float32 weights they must agree bit for bit, so the
        // reference agreement above holds for the holder model too.
        SentenceEncoder holder = MiniLmLoader.holderModel(weights);
        List<String> sentences = Sentences.load();
        for (int i = 0; i < sentences.size(); i += 9) {
            int[] ids = ours.tokenizer().encode(sentences.get(i));
            float[] expected = oursOnSentences().get(sentences.get(i));
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, holder.embed(ids), sentences.get(i));
        }
    }

    @Test
    void vectorsAreUnitLength() {
        float[] v = ours.embed("A unit vector, please.");
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-6);
    }

    @Test
    void rejectsBlankTextLikeLangChain4j() {
        assertThrows(IllegalArgumentException.class, () -> ours.embed("  \n"));
        assertThrows(IllegalArgumentException.class, () -> referenceVector("  \n"));
    }

    @Test
    void anonymousMatMulWeightsAreNamedAfterTheirLayer() {
        Pattern anonymous = Pattern.compile("onnx::MatMul_\\d+");
        long renamed = 0;
        for (String name : weights.names()) {
            assertTrue(!name.startsWith("onnx::"), "left anonymous: " + name);
            OnnxWeights.Tensor t = weights.tensor(name);
            if (!t.storedName().equals(name)) {
                assertTrue(anonymous.matcher(t.storedName()).matches(), t.storedName());
                renamed++;
            }
        }
        assertEquals(36, renamed, "6 layers x (q, k, v, attention out, intermediate, output)");
        assertEquals(101, weights.names().size(), "102 initializers minus the INT64 position_ids");

        // Values written down from an independent numpy read of the file.
        float[] word = weights.floats("embeddings.word_embeddings.weight", 30522, 384);
        assertEquals(-0.019989, word[0], 1e-6);
        assertEquals(-0.003403, word[1], 1e-6);
        assertEquals(-0.014679, word[2], 1e-6);
        assertEquals(138.050722, sum(word), 1e-3);
        float[] output0 = weights.floats("encoder.layer.0.output.dense.weight", 1536, 384);
        assertEquals(19.473491, sum(output0), 1e-3);
        assertEquals(
                "onnx::MatMul_799",
                weights.tensor("encoder.layer.0.output.dense.weight").storedName());

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> weights.tensor("embeddings.position_ids"));
        assertTrue(e.getMessage().contains("INT64"), e.getMessage());
    }

    @Test
    void truncatedModelFileGivesAClearError() throws IOException {
        byte[] bytes = MiniLmLoader.modelBytesFromClasspath();
        byte[] half = Arrays.copyOf(bytes, bytes.length / 2);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxWeights.read(half));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.offset() >= 0 && e.offset() < half.length, e.getMessage());
    }

    private static double sum(float[] a) {
        double s = 0;
        for (float x : a) {
            s += x;
        }
        return s;
    }
}
