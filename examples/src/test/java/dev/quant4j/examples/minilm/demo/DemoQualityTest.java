package dev.quant4j.examples.minilm.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.examples.minilm.MiniLmConfig;
import dev.quant4j.examples.minilm.onnx.MiniLmLoader;
import dev.quant4j.examples.minilm.onnx.OnnxWeights;
import dev.quant4j.examples.minilm.text.WordPieceTokenizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.BlockLayout;
import dev.quant4j.tensor.Packing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Quality floors per scheme, holder mode, on 60 of the demo sentences (chosen as the demo chooses
 * them). The floors are regression guards set below what was measured, not targets.
 *
 * <p>Measured (this code, 60 sentences): cosine mean / min / top-1
 * <pre>
 *   q8s:tensor:f32:u32       0.969677  0.865076  0.900
 *   q8s:block32:f32:u32      0.999853  0.999267  1.000
 *   q4f:block32:f16:u32      0.958113  0.861546  0.800
 *   q4f:block32:f16:u32:mse      0.969471  0.898384  0.817
 *   q4f:block32:f16:u32:imatrix  0.973650  0.895014  0.867   (statistics from the 1,159 calibration sentences;
 *                                                              on the 70 alone: 0.972913  0.882670  0.817)
 *   q4f:block32:f16:u32:gptq     0.989763  0.959240  0.883   (damping 0.03, the token-type error fed into the
 *                                                              positions; 824 sentences without: 0.987571  0.931414)
 *   q4f:block32:f16:u32:gptq@random  0.979990  0.897773  0.850   (statistics from 70 random token sequences, no text)
 *   q4f:block32:f16:u32:affine   0.970093  0.904233  0.833   (ggml's Q4_1: scale and offset per block, 5.0 bits)
 *   e4m3:tensor:f32:u32      0.998230  0.991483  0.933
 *   e2m1:block32:ue8m0:u32   0.954866  0.783523  0.800
 *   q8s:block32:f32:u32:a8dyn     0.999608  0.997759  0.983   (int8 activations per 32 columns, W8A8)
 *   q8s:block32:f32:u32:a8static:percentile  0.982834  0.912990  0.800   (one frozen activation scale per tensor)
 *   q4f:block32:f16:u32:a8dyn     0.958169  0.860535  0.800   (W4A8; measured before the rational erf)
 *   plan4.5                  0.992040  0.966580  0.933   (4.4998 bits per weight: the planner's choice from
 *                                                         q4f:block64:f16:gptq, q4f:block32:f16:gptq, q8s:block32:f16)
 *   plan5.0                  0.994794  0.977627  0.917   (4.9997 bits per weight)
 *   annotated                0.995895  0.990768  0.933   (q4f:block32:f16 embeddings, q8s:block32:f16 layers)
 * </pre>
 * Margins: the mean may lose about a tenth of its distance to 1 (about 0.005 for the 4-bit schemes,
 * 0.0003 for Q8S block 32), the worst sentence about 0.02, and top-1 two sentences of 60 (0.033), so a
 * change of summation order (e.g. fused SIMD kernels) passes while a real slip (scales rounded the wrong
 * way, blocks along the wrong axis, a lost outlier) does not. Every quantized scheme must also have
 * changed the vectors, so a quantization that silently did nothing fails too.
 */
class DemoQualityTest {

    private record Floor(double mean, double min, double top1) {}

    private static final Map<String, Floor> FLOORS = new LinkedHashMap<>();

    static {
        FLOORS.put("q8s:tensor:f32:u32", new Floor(0.965, 0.845, 0.866));
        FLOORS.put("q8s:block32:f32:u32", new Floor(0.9995, 0.998, 0.966));
        FLOORS.put("q4f:block32:f16:u32", new Floor(0.953, 0.84, 0.766));
        FLOORS.put("q4f:block32:f16:u32:mse", new Floor(0.966, 0.878, 0.783));
        FLOORS.put("q4f:block32:f16:u32:imatrix", new Floor(0.970, 0.862, 0.783));
        FLOORS.put("q4f:block32:f16:u32:gptq", new Floor(0.985, 0.935, 0.833));
        FLOORS.put("q4f:block32:f16:u32:gptq@random", new Floor(0.976, 0.875, 0.816));
        FLOORS.put("q4f:block32:f16:u32:affine", new Floor(0.967, 0.884, 0.80));
        FLOORS.put("e4m3:tensor:f32:u32", new Floor(0.9965, 0.97, 0.90));
        FLOORS.put("e2m1:block32:ue8m0:u32", new Floor(0.950, 0.76, 0.766));
        FLOORS.put("q8s:block32:f32:u32:a8dyn", new Floor(0.9992, 0.99, 0.95));
        FLOORS.put("q8s:block32:f32:u32:a8static:percentile", new Floor(0.981, 0.893, 0.766));
        FLOORS.put("q4f:block32:f16:u32:a8dyn", new Floor(0.953, 0.84, 0.766));
        FLOORS.put("plan4.5", new Floor(0.987, 0.880, 0.766));
        FLOORS.put("plan5.0", new Floor(0.9915, 0.916, 0.833));
        FLOORS.put(DemoOptions.ANNOTATED, new Floor(0.9955, 0.985, 0.90));
    }

    private static List<DemoResult> results;
    private static Map<String, ModeRunner.PlanRow> plans;
    private static MiniLmConfig config;

    @BeforeAll
    static void run() throws IOException {
        List<String> all = Sentences.load();
        WordPieceTokenizer tokenizer = MiniLmLoader.tokenizerFromClasspath();
        List<Integer> indices = Sentences.evenSubset(all.size(), 60);
        List<int[]> ids = new ArrayList<>();
        for (int i : indices) {
            ids.add(tokenizer.encode(all.get(i)));
        }
        OnnxWeights weights = MiniLmLoader.weightsFromClasspath();
        config = MiniLmLoader.config(weights);
        List<String> schemes = new ArrayList<>(List.of(DemoOptions.F32));
        schemes.addAll(FLOORS.keySet());
        DemoProgress progress = new DemoProgress(System.err, false, "test", 1);
        ModeRunner runner = new ModeRunner(DemoMode.HOLDER, ids, 2, progress);
        results = runner.quantizeAndRun(weights, schemes, null, indices);
        plans = runner.plans();
        System.out.print(DemoReport.table(results));
    }

    @Test
    void theDemoSchemesAreTheOnesMeasuredHere() {
        List<String> demo = new ArrayList<>(DemoOptions.parse(new String[0]).schemes());
        demo.add(DemoOptions.ANNOTATED);
        List<String> here = new ArrayList<>(List.of(DemoOptions.F32));
        here.addAll(FLOORS.keySet());
        assertEquals(demo, here, "the floors must cover exactly the schemes the demo shows, and 'annotated'");
    }

    @Test
    void everySchemeStaysAboveItsFloor() {
        List<String> failures = new ArrayList<>();
        for (DemoResult r : results) {
            if (r.scheme().equals(DemoOptions.F32)) {
                assertEquals(1.0, r.cosineMin(), 1e-12, "f32 is its own reference");
                assertEquals(1.0, r.top1Agreement());
                continue;
            }
            Floor f = FLOORS.get(r.scheme());
            if (r.cosineMean() < f.mean()) {
                failures.add(r.scheme() + " cosine mean " + r.cosineMean() + " < " + f.mean());
            }
            if (r.cosineMin() < f.min()) {
                failures.add(r.scheme() + " cosine min " + r.cosineMin() + " < " + f.min());
            }
            if (r.top1Agreement() < f.top1()) {
                failures.add(r.scheme() + " top-1 " + r.top1Agreement() + " < " + f.top1());
            }
            if (r.cosineMean() > 1 - 1e-5) {
                failures.add(r.scheme() + " cosine mean " + r.cosineMean() + ": quantization changed nothing");
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** weight_bytes against a count made here from the shapes and the packing rules alone. */
    @Test
    void weightBytesAreThePackedSizesPlusFloat32ForTheRest() {
        long f32 = 4 * config.parameters();
        assertEquals(22_565_376L, config.parameters(), "all-MiniLM-L6-v2 has 22,565,376 weights");
        for (DemoResult r : results) {
            long expected = switch (r.scheme()) {
                case DemoOptions.F32 -> f32;
                // The schemes written in the model's @Quantize annotations.
                case DemoOptions.ANNOTATED ->
                    expectedBytes(QuantScheme.parse("q4f:block32:f16"), QuantScheme.parse("q8s:block32:f16"));
                // The planned sizes (each field's candidate as the sensitivity quantized it), and within the budget.
                case String plan
                when DemoOptions.isPlan(plan) -> {
                    long planned = plans.get(plan).plan().bytes();
                    assertTrue(
                            8.0 * planned / config.parameters() <= DemoOptions.planBudget(plan),
                            plan + ": " + 8.0 * planned / config.parameters() + " bits per weight");
                    yield planned;
                }
                default -> {
                    QuantScheme scheme = QuantScheme.parse(DemoOptions.schemeText(r.scheme()));
                    yield expectedBytes(scheme, scheme);
                }
            };
            assertEquals(expected, r.weightBytes(), r.scheme());
            assertEquals((double) expected / f32, r.ratio(), 1e-12, r.scheme());
        }
    }

    @Test
    void heapShrinksWithTheWeights() {
        long f32Heap = results.getFirst().heapBytes();
        // The float32 model's arrays are all its own; G1 (the test JVM's collector) may round large arrays
        // up to whole regions, so only bounds that hold either way are checked.
        assertTrue(f32Heap >= 4 * config.parameters(), "f32 heap " + f32Heap);
        for (DemoResult r : results.subList(1, results.size())) {
            assertTrue(r.heapBytes() < f32Heap / 3, r.scheme() + " holds " + r.heapBytes() + " bytes of heap");
            // Scales are held as float32 in memory whatever their stored type, so the heap is at least the
            // packed codes.
            assertTrue(r.heapBytes() > r.weightBytes() / 2, r.scheme() + " heap " + r.heapBytes());
        }
    }

    private static long expectedBytes(QuantScheme embeddings, QuantScheme layers) {
        int h = config.hidden();
        int i = config.intermediateSize();
        long bytes = packed(embeddings, config.vocabSize(), h)
                + packed(embeddings, config.typeVocabSize(), h)
                + packed(embeddings, config.maxPositions(), h);
        long rest = 2L * h; // embeddings LayerNorm
        for (int l = 0; l < config.layers(); l++) {
            bytes += 4 * packed(layers, h, h) + packed(layers, i, h) + packed(layers, h, i);
            rest += 4L * h + i + h + 4L * h; // q, k, v, attention-out biases; intermediate, output biases; 2 LayerNorms
        }
        return bytes + 4 * rest;
    }

    private static long packed(QuantScheme scheme, int rows, int cols) {
        int[] shape = {rows, cols};
        return Packing.packedBytes((long) rows * cols, scheme.value(), scheme.store())
                + (long) new BlockLayout(shape, scheme).blockCount()
                        * scheme.param().bytes()
                        * (scheme.mode() == dev.quant4j.annotations.QuantMode.AFFINE ? 2 : 1); // scales, and offsets
    }
}
