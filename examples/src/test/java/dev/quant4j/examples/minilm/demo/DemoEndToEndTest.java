package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.quant4j.examples.minilm.HolderMiniLmModel;
import dev.quant4j.examples.minilm.SentenceEncoder;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.WeightField;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as users run it, on a few sentences: the agent mode in a child JVM with the real agent jar,
 * the holder mode here; saving and loading; the JSON output.
 */
class DemoEndToEndTest {

    private static final String SCHEMES = "q8s:tensor,q4f:block32:f16,e2m1:block32:ue8m0";
    private static final int SENTENCES = 12;

    private static List<int[]> ids;
    private static List<Integer> indices;

    @BeforeAll
    static void sentences() throws IOException {
        List<String> all = Sentences.load();
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        indices = Sentences.evenSubset(all.size(), SENTENCES);
        ids = new ArrayList<>();
        for (int i : indices) {
            ids.add(tokenizer.encode(all.get(i)));
        }
    }

    /**
     * The build sets {@code quant4j.agent.jar}, and then the jar must be there; only a run outside the
     * build (an IDE) that has no jar at the default path skips.
     */
    private static void requireAgentJar() {
        String property = System.getProperty(AgentChild.AGENT_JAR_PROPERTY);
        if (property == null) {
            assumeTrue(
                    Files.isRegularFile(Path.of(AgentChild.DEFAULT_AGENT_JAR)),
                    "no agent jar: -D"
                            + AgentChild.AGENT_JAR_PROPERTY + " is not set and " + AgentChild.DEFAULT_AGENT_JAR
                            + " does not"
                            + " exist (the Maven build sets the property and builds the jar first)");
        } else {
            assertTrue(
                    Files.isRegularFile(Path.of(property)),
                    "the build names the agent jar " + property + ", but it does not exist");
        }
    }

    private static List<DemoResult> holder(String schemes, Path saveDir) throws IOException {
        List<String> list =
                DemoOptions.parse(new String[] {"--schemes", schemes}).schemes();
        DemoProgress progress = new DemoProgress(System.err, false, "test", 1);
        return new ModeRunner(DemoMode.HOLDER, ids, 2, progress)
                .quantizeAndRun(MiniLmLoader.weightsFromClasspath(), list, saveDir, indices);
    }

    @Test
    void agentAndHolderGiveBitIdenticalVectors() throws IOException {
        requireAgentJar();
        List<DemoResult> agent = AgentChild.run(List.of(
                "--child",
                "--mode",
                "agent",
                "--sentences",
                Integer.toString(SENTENCES),
                "--schemes",
                SCHEMES,
                "--threads",
                "2",
                "--no-progress"));
        List<DemoResult> holder = holder(SCHEMES, null);
        assertEquals(4, agent.size(), "f32 and three schemes");
        assertEquals(holder.size(), agent.size());
        for (int i = 0; i < holder.size(); i++) {
            DemoResult h = holder.get(i);
            DemoResult a = agent.get(i);
            assertEquals(DemoMode.AGENT, a.mode());
            assertEquals(h.scheme(), a.scheme());
            assertEquals(
                    h.digest(),
                    a.digest(),
                    h.scheme() + ": the agent's dequantized arrays and the holder's"
                            + " row-wise dequantization must give the same vectors");
            assertEquals(h.weightBytes(), a.weightBytes(), h.scheme());
            assertEquals(h.cosineMean(), a.cosineMean(), 0.0, h.scheme());
        }
        // Each scheme really changed the vectors: equal digests are not equal by accident.
        assertEquals(
                holder.size(),
                holder.stream().map(DemoResult::digest).distinct().count());
    }

    @Test
    void savedModelsLoadBackToTheSameVectorsInBothModes(@TempDir Path dir) throws IOException {
        requireAgentJar();
        String scheme = "q4f:block32:f16:u32";
        List<DemoResult> quantized = holder(scheme, dir);
        Path file = SavedModels.fileFor(dir, scheme);
        assertTrue(Files.isRegularFile(file), file + " was not written");
        assertTrue(Files.isRegularFile(dir.resolve(SavedModels.REFERENCE_FILE)));

        // The file holds the quantized tensors as they were: loading gives a model whose every @Quantize
        // field is quantized (no float32 copy) and whose vectors are the quantized model's, bit for bit.
        assertEquals(scheme, SavedModels.header(file).scheme());
        SentenceEncoder loaded = SavedModels.load(file, DemoMode.HOLDER);
        int quantizedFields = 0;
        for (WeightField f : Quantization.fields(loaded)) {
            if (f.isQuantizable()) {
                assertTrue(f.isQuantized(), f.path() + " was loaded as floats");
                quantizedFields++;
            }
        }
        assertEquals(3 + 6 * 6, quantizedFields);
        assertTrue(loaded instanceof HolderMiniLmModel);
        float[][] vectors = new float[ids.size()][];
        for (int i = 0; i < ids.size(); i++) {
            vectors[i] = loaded.embed(ids.get(i));
        }
        assertEquals(quantized.get(1).digest(), ModeRunner.digest(vectors));

        // The same through the command line, holder here and agent in its child JVM.
        JsonArray rows = JsonParser.parseString(run("--load", file.toString(), "--json", "--no-progress"))
                .getAsJsonArray();
        assertEquals(2, rows.size());
        for (JsonElement e : rows) {
            JsonObject o = e.getAsJsonObject();
            assertEquals(scheme, o.get("scheme").getAsString());
            assertEquals(quantized.get(1).cosineMean(), o.get("cosine_mean").getAsDouble(), 0.0, o.toString());
            assertEquals(quantized.get(1).cosineMin(), o.get("cosine_min").getAsDouble(), 0.0, o.toString());
            assertEquals(quantized.get(1).weightBytes(), o.get("weight_bytes").getAsLong(), o.toString());
        }
    }

    @Test
    void jsonHasOneObjectPerSchemeAndModeWithTheDocumentedKeys() throws IOException {
        requireAgentJar();
        String out = run("--sentences", "6", "--schemes", "q8s:block32", "--json", "--no-progress");
        JsonArray rows = JsonParser.parseString(out).getAsJsonArray();
        assertEquals(4, rows.size(), out);
        Set<String> seen = new TreeSet<>();
        long f32Bytes = 0;
        for (JsonElement e : rows) {
            JsonObject o = e.getAsJsonObject();
            assertEquals(DemoReport.JSON_KEYS, List.copyOf(o.keySet()), "keys of " + o);
            seen.add(o.get("scheme").getAsString() + "/" + o.get("mode").getAsString());
            double top1 = o.get("top1_agreement").getAsDouble();
            assertTrue(top1 >= 0 && top1 <= 1, o.toString());
            assertTrue(o.get("heap_bytes").getAsLong() > 0, o.toString());
            assertTrue(o.get("ms_per_sentence").getAsDouble() > 0, o.toString());
            if (o.get("scheme").getAsString().equals("f32")) {
                f32Bytes = o.get("weight_bytes").getAsLong();
                assertEquals(1.0, o.get("ratio").getAsDouble());
            }
            assertEquals(
                    o.get("scheme").getAsString().equals("f32") ? "none" : "minmax",
                    o.get("calibration").getAsString(),
                    o.toString());
            assertEquals(
                    32 * o.get("ratio").getAsDouble(), o.get("bits_per_weight").getAsDouble(), 1e-12, o.toString());
        }
        assertEquals(
                Set.of("f32/agent", "f32/holder", "q8s:block32:f32:u32/agent", "q8s:block32:f32:u32/holder"), seen);
        assertEquals(4 * 22_565_376L, f32Bytes);
    }

    @Test
    void badArgumentsAreExplained() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--schemes", "q9x:block32"}));
        assertTrue(e.getMessage().contains("q9x:block32"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--sentences", "0"}));
        assertTrue(e.getMessage().contains("--sentences"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--save", "a", "--load", "b"}));
        assertTrue(e.getMessage().contains("--load"), e.getMessage());
    }

    @Test
    void loadingWithoutTheReferenceFileSaysHowToGetIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.writeString(file, "not used");
        IOException e =
                org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> SavedModels.loadReference(file));
        assertTrue(
                e.getMessage().contains(SavedModels.REFERENCE_FILE)
                        && e.getMessage().contains("--save"),
                e.getMessage());
    }

    @Test
    void subsetsSpreadOverTheWholeFileAndKeepNeighboursTogether() {
        List<Integer> subset = Sentences.evenSubset(327, 120);
        assertEquals(120, subset.size());
        assertEquals(120, new TreeSet<>(subset).size(), "no sentence twice");
        assertTrue(subset.getFirst() == 0 && subset.getLast() > 320, subset.toString());
        int pairs = 0;
        for (int i = 1; i < subset.size(); i++) {
            assertTrue(subset.get(i) > subset.get(i - 1), "in file order");
            if (subset.get(i) == subset.get(i - 1) + 1) {
                pairs++;
            }
        }
        assertTrue(pairs >= 55, pairs + " neighbouring pairs");
        assertEquals(327, Sentences.evenSubset(327, 1000).size());
        assertFalse(Sentences.evenSubset(327, 1).isEmpty());
    }

    /** Runs the demo's main logic with these arguments and returns what it printed on stdout. */
    private static String run(String... args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Demo.run(DemoOptions.parse(args), out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertNotNull(text);
        return text;
    }
}
