package dev.quant4j.processor.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.errors.AgentNotActiveException;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.model.ModelFiles;
import dev.quant4j.model.ModelVisitors;
import dev.quant4j.model.QuantizableTensor;
import dev.quant4j.model.Quantization;
import dev.quant4j.model.QuantizationReport;
import dev.quant4j.model.WeightField;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.MemoryFieldStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The models in this package were compiled by the processor during the build, the way users compile
 * theirs; these tests drive the generated visitors through the runtime API.
 */
class EndToEndTest {
    private static final int VOCAB = 40;
    private static final int DIM = 32;
    private static final int HIDDEN = 48;
    private static final int LAYERS = 3;

    @AfterEach
    void noAgent() {
        FieldHooks.install(null);
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * 0.2);
        }
        return a;
    }

    /** A model with every weight set from a seeded generator. */
    private static TinyTransformer model(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        TinyTransformer m = new TinyTransformer(VOCAB, DIM, HIDDEN, LAYERS);
        m.embedding.table = gaussian(r, VOCAB * DIM);
        for (Block b : m.blocks) {
            b.attention.wq = gaussian(r, DIM * DIM);
            b.attention.wk = QuantizableTensor.of(gaussian(r, DIM * DIM), DIM, DIM);
            b.attention.wv = new float[DIM][];
            for (int i = 0; i < DIM; i++) {
                b.attention.wv[i] = gaussian(r, DIM);
            }
            b.attention.setWo(QuantizableTensor.of(gaussian(r, DIM * DIM), DIM, DIM));
            b.mlp.w1 = gaussian(r, HIDDEN * DIM);
            b.mlp.w2 = QuantizableTensor.of(gaussian(r, DIM * HIDDEN), DIM, HIDDEN);
            b.mlp.bias = gaussian(r, HIDDEN);
            b.norm.gamma = gaussian(r, DIM);
            b.norm.beta = gaussian(r, DIM);
        }
        m.finalNorms.get(0).gamma = gaussian(r, DIM);
        m.finalNorms.get(0).beta = gaussian(r, DIM);
        return m;
    }

    private static List<String> expectedPaths() {
        List<String> paths = new ArrayList<>(List.of("embedding.table"));
        for (int i = 0; i < LAYERS; i++) {
            for (String f : List.of(
                    "attention.wq",
                    "attention.wk",
                    "attention.wv",
                    "attention.wo",
                    "mlp.w1",
                    "mlp.w2",
                    "mlp.bias",
                    "norm.gamma",
                    "norm.beta")) {
                paths.add("blocks[" + i + "]." + f);
            }
        }
        paths.add("finalNorms[0].gamma");
        paths.add("finalNorms[0].beta");
        return paths;
    }

    /** Float values of every field, by path (copies, taken before anything is quantized). */
    private static Map<String, FloatTensor> floats(TinyTransformer m) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (WeightField f : Quantization.fields(m)) {
            FloatTensor t = f.floats();
            out.put(f.path(), FloatTensor.of(t.data().clone(), t.shape()));
        }
        return out;
    }

    private static Map<String, QuantScheme> schemes(TinyTransformer m) {
        Map<String, QuantScheme> out = new LinkedHashMap<>();
        for (WeightField f : Quantization.fields(m)) {
            out.put(f.path(), f.scheme());
        }
        return out;
    }

    @Test
    void theGeneratedVisitorsReportEveryFieldWithItsPathSchemeAndShape() {
        TinyTransformer m = model(1);
        List<WeightField> fields = Quantization.fields(m);
        assertEquals(expectedPaths(), fields.stream().map(WeightField::path).toList());
        Map<String, QuantScheme> s = schemes(m);
        assertEquals(QuantScheme.parse("q8s:block32:f16"), s.get("embedding.table"));
        assertEquals(QuantScheme.parse("q4f:block32:f16"), s.get("blocks[1].attention.wq"));
        assertEquals(QuantScheme.parse("q4f:block32:f16"), s.get("blocks[1].attention.wk"));
        assertEquals(QuantScheme.parse("q8f:block2x16"), s.get("blocks[1].attention.wv"));
        assertEquals(QuantScheme.parse("e4m3:block32"), s.get("blocks[1].attention.wo"));
        assertEquals(QuantScheme.parse("q4f:block32:f16"), s.get("blocks[2].mlp.w1"), "class default param F16");
        assertEquals(QuantScheme.parse("q8s:f16"), s.get("blocks[2].mlp.w2"));
        assertNull(s.get("blocks[2].mlp.bias"));
        assertNull(s.get("finalNorms[0].beta"));
        WeightField w1 = fields.get(expectedPaths().indexOf("blocks[0].mlp.w1"));
        assertEquals(WeightField.Kind.FLOAT_ARRAY, w1.kind());
        assertEquals("[48, 32]", java.util.Arrays.toString(w1.shape()), "@Dims({\"hidden\", \"dim\"})");
        WeightField wv = fields.get(expectedPaths().indexOf("blocks[0].attention.wv"));
        assertEquals(WeightField.Kind.FLOAT_ROWS, wv.kind());
        assertEquals(
                "TinyTransformer_Quantization",
                ModelVisitors.find(TinyTransformer.class).getClass().getSimpleName());
    }

    @Test
    void withoutTheAgentQuantizingFailsNamingTheFirstPlainFieldAndChangesNothing() {
        TinyTransformer m = model(2);
        AgentNotActiveException e = assertThrows(AgentNotActiveException.class, () -> Quantization.quantizeWeights(m));
        assertTrue(e.getMessage().startsWith("field 'embedding.table' is a plain float array"), e.getMessage());
        assertTrue(e.getMessage().contains("-javaagent:"), e.getMessage());
        assertFalse(m.blocks[0].attention.wk.isQuantized(), "checked before anything was quantized");
        assertNotNull(m.embedding.table);
    }

    @Test
    void simulationWithoutTheAgentGivesTheReferenceDequantizedValues() throws IOException {
        TinyTransformer m = model(3);
        Map<String, FloatTensor> before = floats(m);
        Map<String, QuantScheme> schemes = schemes(m);
        QuantizationReport report = Quantization.simulate(m);
        writeReport(report, "e2e-simulation-report.txt");
        Map<String, FloatTensor> after = floats(m);
        for (String path : expectedPaths()) {
            assertEquals(reference(path, before, schemes), after.get(path), path);
            if (schemes.get(path) != null) {
                assertTrue(report.entry(path).maxAbsError() > 0, path);
            }
        }
        assertEquals(LAYERS * 6 + 1, report.entries().size());
    }

    @Test
    void quantizeExportImportAndSaveLoadIntoFreshInstancesGivesBitIdenticalWeights() throws IOException {
        TinyTransformer m = model(4);
        Map<String, FloatTensor> original = floats(m);
        Map<String, QuantScheme> schemes = schemes(m);
        try (MemoryFieldStore store = MemoryFieldStore.install()) {
            QuantizationReport report = Quantization.quantizeWeights(m);
            writeReport(report, "e2e-quantization-report.txt");
            assertEquals(LAYERS * 6 + 1, report.entries().size());
            assertNull(m.blocks[0].attention.wq, "the agent's store holds it now");
            assertTrue(m.blocks[0].attention.getWo().isQuantized());
            QuantizationReport.Entry w1 = report.entry("blocks[0].mlp.w1");
            assertEquals(HIDDEN * DIM * 4L, w1.bytesBefore());
            // 4-bit codes: HIDDEN*DIM/2 bytes; one F16 scale per 32 weights.
            assertEquals(HIDDEN * DIM / 2 + HIDDEN * DIM / 32 * 2L, w1.bytesAfter());

            Map<String, Object> state = Quantization.exportState(m);
            assertEquals(expectedPaths(), new ArrayList<>(state.keySet()));
            for (String path : expectedPaths()) {
                if (schemes.get(path) != null) {
                    assertInstanceOf(QuantizedTensor.class, state.get(path), path);
                } else {
                    assertInstanceOf(FloatTensor.class, state.get(path), path);
                }
            }

            TinyTransformer fresh = new TinyTransformer(VOCAB, DIM, HIDDEN, LAYERS);
            Quantization.importState(fresh, state);

            // The same state through a safetensors file: saved and loaded without expanding to float32.
            Path file = Files.createTempDirectory("quant4j-e2e").resolve("model.safetensors");
            ModelFiles.save(m, file);
            TinyTransformer loaded = new TinyTransformer(VOCAB, DIM, HIDDEN, LAYERS);
            ModelFiles.load(loaded, file);
            assertTrue(loaded.blocks[2].mlp.w2.isQuantized(), "loaded as codes and scales");
            assertNull(loaded.embedding.table, "a plain field loads into the agent's store, not as floats");
            assertNotNull(store.quantized(loaded.embedding, "dev.quant4j.processor.e2e.Embedding#table"));
            Files.delete(file);
            assertSame(state.get("blocks[1].attention.wk"), fresh.blocks[1].attention.wk.quantized());
            assertSame(
                    state.get("embedding.table"),
                    store.quantized(fresh.embedding, "dev.quant4j.processor.e2e.Embedding#table"));

            Quantization.dequantizeWeights(m);
            Quantization.dequantizeWeights(fresh);
            Quantization.dequantizeWeights(loaded);
            Map<String, FloatTensor> a = floats(m);
            Map<String, FloatTensor> b = floats(fresh);
            Map<String, FloatTensor> c = floats(loaded);
            for (String path : expectedPaths()) {
                FloatTensor reference = reference(path, original, schemes);
                // FloatTensor equality is bitwise: -0.0 != +0.0 and every bit of every value counts.
                assertEquals(reference, a.get(path), path);
                assertEquals(reference, b.get(path), path);
                assertEquals(reference, c.get(path), path + " after the safetensors round trip");
            }
            assertEquals(0, store.size(), "dequantizing dropped every stored tensor");
        }
    }

    /**
     * What a weight must hold after quantizing and dequantizing: the scalar reference kernel's round trip
     * of its original values, or the original values for an unquantized weight.
     */
    private static FloatTensor reference(
            String path, Map<String, FloatTensor> original, Map<String, QuantScheme> schemes) {
        QuantScheme s = schemes.get(path);
        return s == null
                ? original.get(path)
                : Kernels.scalar().quantize(path, original.get(path), s).dequantize();
    }

    /** Keeps the report of the last run where the docs can quote it. */
    private static void writeReport(QuantizationReport report, String name) throws IOException {
        Path out = Path.of("target", name);
        Files.createDirectories(out.getParent());
        Path tmp = Files.createTempFile(out.getParent(), "report", ".tmp");
        Files.writeString(tmp, report.toString(), StandardCharsets.UTF_8);
        Files.move(
                tmp,
                out,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
