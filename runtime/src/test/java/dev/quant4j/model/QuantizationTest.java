package dev.quant4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.errors.AgentNotActiveException;
import dev.quant4j.errors.NonFiniteValueException;
import dev.quant4j.fields.internal.FieldHooks;
import dev.quant4j.kernels.Kernels;
import dev.quant4j.quantize.Quantizer;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.tensor.QuantizedTensor;
import dev.quant4j.testing.MemoryFieldStore;
import dev.quant4j.testing.TestFloats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QuantizationTest {
    private static final String W_KEY = "dev.quant4j.model.TinyModel#w";
    private static final String M_KEY = "dev.quant4j.model.TinyModel#m";

    @AfterEach
    void noAgent() {
        FieldHooks.install(null);
    }

    private static float[] randomFloats(SplittableRandom r, int n) {
        return TestFloats.of(n, () -> r.nextGaussian() * 0.5);
    }

    /** A model with every kind of field filled with seeded random weights. */
    private static TinyModel filled(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        TinyModel model = new TinyModel(4, 16, 2);
        model.w = randomFloats(r, 64);
        model.m = new float[][] {randomFloats(r, 5), randomFloats(r, 5), randomFloats(r, 5)};
        model.h = QuantizableTensor.of(randomFloats(r, 24), 2, 12);
        model.bias = randomFloats(r, 7);
        for (TinyBlock b : model.blocks) {
            b.wq = QuantizableTensor.of(randomFloats(r, 10), 10);
        }
        model.extra.get(0).wq = QuantizableTensor.of(randomFloats(r, 3), 3);
        return model;
    }

    private static QuantizedTensor reference(String scheme, float[] data, int... shape) {
        return Kernels.scalar().quantize("ref", FloatTensor.of(data.clone(), shape), QuantScheme.parse(scheme));
    }

    private static void assertSameQuantized(QuantizedTensor expected, QuantizedTensor actual) {
        assertNotNull(actual);
        assertEquals(expected.scheme(), actual.scheme());
        assertArrayEquals(expected.shape(), actual.shape());
        assertArrayEquals(expected.codes(), actual.codes());
        assertArrayEquals(expected.scales(), actual.scales());
    }

    /** The message of the IllegalArgumentException that importing {@code state} into {@code target} throws. */
    private static String importError(Object target, Map<String, ?> state) {
        return assertThrows(IllegalArgumentException.class, () -> Quantization.importState(target, state))
                .getMessage();
    }

    @Test
    void visitsFieldsInDeclarationOrderWithNestedPaths() {
        List<String> paths = new ArrayList<>();
        List<String> schemes = new ArrayList<>();
        Quantization.visit(filled(1), f -> {
            paths.add(f.path());
            schemes.add(String.valueOf(f.scheme()));
        });
        assertEquals(List.of("w", "m", "h", "bias", "blocks[0].wq", "blocks[1].wq", "extra[0].wq"), paths);
        assertEquals(
                List.of(
                        "q4f:block8:f32:u32",
                        "q8s:tensor:f32:u32",
                        "q8s:tensor:f16:u32",
                        "null",
                        "q8f:tensor:f32:u32",
                        "q8f:tensor:f32:u32",
                        "q8f:tensor:f32:u32"),
                schemes);
    }

    @Test
    void withoutTheAgentQuantizingFailsFastNamingTheFieldAndChangesNothing() {
        TinyModel model = filled(2);
        float[] w = model.w;
        QuantizableTensor h = model.h;
        AgentNotActiveException e =
                assertThrows(AgentNotActiveException.class, () -> Quantization.quantizeWeights(model));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        assertTrue(e.getMessage().contains("-javaagent"), e.getMessage());
        assertTrue(e.getMessage().contains("QuantizableTensor"), e.getMessage());
        assertSame(w, model.w);
        assertSame(h, model.h);
        assertFalse(model.blocks[0].wq.isQuantized());
    }

    @Test
    void withoutTheAgentAModelOfHoldersOnlyQuantizes() {
        TinyModel model = filled(3);
        model.w = null;
        model.m = null;
        QuantizationReport report = Quantization.quantizeWeights(model);
        assertTrue(model.h.isQuantized());
        assertEquals(
                List.of("h", "blocks[0].wq", "blocks[1].wq", "extra[0].wq"),
                report.entries().stream().map(QuantizationReport.Entry::path).toList());
    }

    @Test
    void quantizesEveryKindOfFieldExactlyLikeTheReferenceKernels() {
        TinyModel model = filled(4);
        float[] w = model.w.clone();
        float[][] m = {model.m[0].clone(), model.m[1].clone(), model.m[2].clone()};
        float[] h = model.h.get().clone();
        float[] bias = model.bias;
        try (MemoryFieldStore store = MemoryFieldStore.install()) {
            QuantizationReport report = Quantization.quantizeWeights(model);

            assertNull(model.w, "the plain field gives up its floats");
            assertNull(model.m);
            assertSame(bias, model.bias, "unannotated state is left alone");
            assertSameQuantized(reference("q4f:block8", w, 4, 16), store.quantized(model, W_KEY));
            float[] flat = new float[15];
            for (int r = 0; r < 3; r++) {
                System.arraycopy(m[r], 0, flat, r * 5, 5);
            }
            assertSameQuantized(reference("q8s", flat, 3, 5), store.quantized(model, M_KEY));
            assertSameQuantized(reference("q8s:f16", h, 2, 12), model.h.quantized());
            assertTrue(model.blocks[1].wq.isQuantized());

            QuantizationReport.Entry e = report.entry("w");
            assertEquals(QuantizationReport.Outcome.QUANTIZED, e.outcome());
            assertEquals(64 * 4, e.bytesBefore());
            // 64 four-bit codes in 8 words, 8 blocks of 8 with one f32 scale each.
            assertEquals(32 + 8 * 4, e.bytesAfter());
            assertArrayEquals(new int[] {4, 16}, e.shape());
            assertEquals(
                    report.entries().stream()
                            .mapToLong(QuantizationReport.Entry::bytesBefore)
                            .sum(),
                    report.totalBytesBefore());
            assertEquals(6, report.entries().size(), "every annotated field, not the bias");

            QuantizationReport again = Quantization.quantizeWeights(model);
            assertTrue(again.entries().stream()
                    .allMatch(x -> x.outcome() == QuantizationReport.Outcome.ALREADY_QUANTIZED));
            assertEquals(again.totalBytesAfter(), report.totalBytesAfter());
        }
    }

    @Test
    void aNonFiniteWeightInALaterFieldLeavesEveryFieldAsItWas() {
        TinyModel model = filled(5);
        model.blocks[1].wq = QuantizableTensor.of(new float[] {1, Float.NaN, 3}, 3);
        float[] w = model.w;
        try (MemoryFieldStore store = MemoryFieldStore.install()) {
            NonFiniteValueException e =
                    assertThrows(NonFiniteValueException.class, () -> Quantization.quantizeWeights(model));
            assertEquals("blocks[1].wq", e.tensor());
            assertTrue(e.getMessage().contains("blocks[1].wq"), e.getMessage());
            assertSame(w, model.w);
            assertEquals(0, store.size());
            assertFalse(model.h.isQuantized());
            assertFalse(model.blocks[0].wq.isQuantized());
        }
    }

    @Test
    void simulationWritesTheDequantizedValuesInPlaceAndMeasuresTheError() {
        TinyModel model = filled(6);
        float[] wArray = model.w;
        float[] w = model.w.clone();
        float[] h = model.h.get().clone();
        QuantizationReport report = Quantization.simulate(model);

        assertSame(wArray, model.w, "simulation keeps the array");
        float[] expectedW = reference("q4f:block8", w, 4, 16).dequantize().data();
        assertArrayEquals(expectedW, model.w);
        assertFalse(model.h.isQuantized());
        assertArrayEquals(reference("q8s:f16", h, 2, 12).dequantize().data(), model.h.get());
        double[] d = IntStream.range(0, w.length)
                .mapToDouble(i -> Math.abs((double) w[i] - expectedW[i]))
                .toArray();
        double max = Arrays.stream(d).max().orElse(0);
        double sq = Arrays.stream(d).map(x -> x * x).sum();
        QuantizationReport.Entry e = report.entry("w");
        assertEquals(QuantizationReport.Outcome.SIMULATED, e.outcome());
        assertEquals(max, e.maxAbsError());
        assertEquals(Math.sqrt(sq / w.length), e.rmse(), 1e-15);
        assertTrue(max > 0, "4-bit quantization of gaussian weights is lossy");
        assertTrue(report.toString().contains("max |err|"), report.toString());
    }

    @Test
    void exportedStateImportsIntoAFreshModelBitForBit() {
        TinyModel model = filled(7);
        try (MemoryFieldStore store = MemoryFieldStore.install()) {
            Quantization.quantizeWeights(model);
            Map<String, Object> state = Quantization.exportState(model);
            assertEquals(
                    List.of("w", "m", "h", "bias", "blocks[0].wq", "blocks[1].wq", "extra[0].wq"),
                    new ArrayList<>(state.keySet()));
            assertInstanceOf(QuantizedTensor.class, state.get("w"));
            assertInstanceOf(FloatTensor.class, state.get("bias"));

            TinyModel fresh = new TinyModel(4, 16, 2);
            Quantization.importState(fresh, state);
            assertNull(fresh.w);
            assertSame(state.get("w"), store.quantized(fresh, W_KEY), "kept quantized, never dequantized");
            assertSame(state.get("h"), fresh.h.quantized());

            Quantization.dequantizeWeights(model);
            QuantizationReport back = Quantization.dequantizeWeights(fresh);
            assertEquals(6, back.entries().size());
            assertNull(store.quantized(fresh, W_KEY), "dequantizing drops the stored data");
            assertBitIdentical(model.w, fresh.w);
            for (int r = 0; r < 3; r++) {
                assertBitIdentical(model.m[r], fresh.m[r]);
            }
            assertBitIdentical(model.h.get(), fresh.h.get());
            assertBitIdentical(
                    model.extra.get(0).wq.get(), fresh.extra.get(0).wq.get());
            assertBitIdentical(model.bias, fresh.bias);
        }
    }

    private static void assertBitIdentical(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "element " + i);
        }
    }

    @Test
    void importListsEveryProblemAndChangesNothing() {
        TinyModel source = filled(8);
        Map<String, Object> state = new LinkedHashMap<>(Quantization.exportState(source));
        state.remove("bias");
        state.put("blocks[7].wq", state.get("blocks[0].wq"));
        state.put("h", FloatTensor.of(new float[24], 4, 6));
        TinyModel target = filled(9);
        float[] bias = target.bias;
        QuantizableTensor h = target.h;
        String msg = importError(target, state);
        assertTrue(msg.contains("no tensor for field 'bias'"), msg);
        assertTrue(msg.contains("the model has no weight field 'blocks[7].wq'"), msg);
        assertTrue(msg.contains("field 'h' has shape [2, 12] but the state holds [4, 6]"), msg);
        assertSame(bias, target.bias);
        assertSame(h, target.h);
        assertNotSame(source.w, target.w);
    }

    private static void assertNotSame(Object a, Object b) {
        assertFalse(a == b);
    }

    @Test
    void importChecksTheDimsShapeAndTheRankOfVectors() {
        TinyModel fresh = new TinyModel(4, 16, 0);
        fresh.extra = List.of();
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("w", FloatTensor.of(new float[64], 8, 8));
        state.put("bias", FloatTensor.of(new float[4], 2, 2));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Quantization.importState(fresh, state));
        assertTrue(e.getMessage().contains("field 'w' has shape [4, 16] but the state holds [8, 8]"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("field 'bias' is float[] of rank 1 but the state holds shape [2, 2]"
                                + " (declare its shape with @Dims)"),
                e.getMessage());
    }

    @Test
    void quantizedStateIntoPlainFieldsNeedsTheAgent() {
        TinyModel other = filled(11);
        MemoryFieldStore.install();
        Quantization.quantizeWeights(other);
        Map<String, Object> quantized = Quantization.exportState(other);
        FieldHooks.install(null);
        TinyModel fresh = new TinyModel(4, 16, 2);
        AgentNotActiveException e =
                assertThrows(AgentNotActiveException.class, () -> Quantization.importState(fresh, quantized));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        assertNull(fresh.h, "nothing imported");
    }

    @Test
    void withoutTheAgentAStateThatDoesNotFitIsReportedAsSuchNotAsAMissingAgent() {
        TinyModel other = filled(14);
        MemoryFieldStore.install();
        Quantization.quantizeWeights(other);
        Map<String, Object> state = new LinkedHashMap<>(Quantization.exportState(other));
        FieldHooks.install(null);
        state.put("bias", FloatTensor.of(new float[4], 2, 2));
        state.put("nope", state.get("h"));
        TinyModel fresh = new TinyModel(8, 8, 2);
        String msg = importError(fresh, state);
        assertTrue(msg.contains("field 'w' has shape [8, 8] but the state holds [4, 16]"), msg);
        assertTrue(msg.contains("field 'bias' is float[] of rank 1 but the state holds shape [2, 2]"), msg);
        assertTrue(msg.contains("the model has no weight field 'nope'"), msg);
        assertNull(fresh.h, "nothing imported");
    }

    @Test
    void quantizedDataForAPlainFieldWithoutQuantizeIsRefusedWithOrWithoutTheAgent() {
        Map<String, Object> state = new LinkedHashMap<>(Quantization.exportState(filled(15)));
        state.put("bias", Quantizer.of("q8s").quantize("bias", FloatTensor.vector(new float[7])));
        for (boolean agent : new boolean[] {false, true}) {
            if (agent) {
                MemoryFieldStore.install();
            }
            TinyModel fresh = filled(16);
            float[] bias = fresh.bias;
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> Quantization.importState(fresh, state), "agent " + agent);
            assertTrue(
                    e.getMessage()
                            .contains("field 'bias' is a plain float[] without @Quantize but the state holds "
                                    + "it quantized (q8s:tensor:f32:u32)"),
                    e.getMessage());
            assertSame(bias, fresh.bias, "nothing imported");
        }
    }

    @Test
    void raggedRowsAndDimsThatDisagreeNameTheField() {
        TinyModel model = filled(12);
        model.m = new float[][] {new float[3], new float[4]};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Quantization.simulate(model));
        assertTrue(
                e.getMessage().contains("field 'm' (float[][]) is not rectangular: row 1 has 4 floats but row 0 has 3"),
                e.getMessage());
        TinyModel other = filled(13);
        other.cols = 15;
        e = assertThrows(IllegalStateException.class, () -> Quantization.simulate(other));
        assertTrue(
                e.getMessage().contains("field 'w' holds 64 floats but its @Dims give [4, 15] = 60 elements"),
                e.getMessage());
    }

    @Test
    void aUniformQuantizerOverridesTheAnnotatedSchemes() {
        TinyModel model = filled(14);
        model.w = null;
        model.m = null;
        Quantization.quantizeWeights(model, WeightQuantizer.uniform(Quantizer.of("e4m3:f16")));
        assertEquals(QuantScheme.parse("e4m3:f16"), model.h.quantized().scheme());
        assertEquals(
                QuantScheme.parse("e4m3:f16"), model.blocks[0].wq.quantized().scheme());
    }

    @Test
    void aQuantizerThatChangesTheShapeIsRejected() {
        TinyModel model = filled(15);
        model.w = null;
        model.m = null;
        WeightQuantizer wrong =
                (path, weights, scheme) -> Kernels.scalar().quantize(path, FloatTensor.vector(weights.data()), scheme);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> Quantization.quantizeWeights(model, wrong));
        assertTrue(e.getMessage().contains("shape [24] for field 'h' of shape [2, 12]"), e.getMessage());
        assertFalse(model.h.isQuantized());
    }

    @Test
    void nullFieldsAreAbsentEverywhere() {
        TinyModel model = new TinyModel(2, 2, 1);
        model.blocks[0].wq = QuantizableTensor.of(new float[] {1, -2}, 2);
        model.extra = null;
        QuantizationReport report = Quantization.quantizeWeights(model);
        assertEquals(1, report.entries().size());
        Map<String, Object> state = Quantization.exportState(model);
        assertEquals(List.of("blocks[0].wq"), new ArrayList<>(state.keySet()));
        TinyModel fresh = new TinyModel(2, 2, 1);
        fresh.extra = null;
        Quantization.importState(fresh, state);
        assertTrue(fresh.blocks[0].wq.isQuantized());
        assertNull(fresh.w);
    }

    @Test
    void roundTripPropertyOverRandomShapesAndSchemes() {
        String[] schemes = {
            "q8s",
            "q8f:native",
            "q4f:block8",
            "q4s:block2x4:f16",
            "q2s:block16:bf16",
            "e4m3:block4",
            "e5m2:f16",
            "e2m1:block32:ue8m0",
            "q2f"
        };
        for (long seed = 0; seed < 60; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int rows = 1 + r.nextInt(6);
            int cols = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(40);
            String scheme = schemes[r.nextInt(schemes.length)];
            float[] data = new float[rows * cols];
            for (int i = 0; i < data.length; i++) {
                // Edge cases first: zeros, signed zeros, tiny and huge magnitudes, then gaussian noise.
                data[i] = switch (r.nextInt(10)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> (float) (r.nextGaussian() * 1e-30);
                    case 3 -> (float) (r.nextGaussian() * 1e4);
                    default -> (float) r.nextGaussian();
                };
            }
            QuantizableTensor holder = QuantizableTensor.of(data.clone(), rows, cols);
            TinyBlock b = new TinyBlock();
            b.wq = holder;
            String context = "seed " + seed + ", scheme " + scheme + ", shape [" + rows + ", " + cols + "]";
            QuantScheme s = QuantScheme.parse(scheme);
            if (!s.problemsFor(new int[] {rows, cols}).isEmpty()) {
                continue;
            }
            Quantization.quantizeWeights(b, WeightQuantizer.uniform(new Quantizer(s)));
            TinyBlock fresh = new TinyBlock();
            Quantization.importState(fresh, Quantization.exportState(b));
            QuantizedTensor expected = Kernels.scalar().quantize("ref", FloatTensor.of(data, rows, cols), s);
            assertArrayEquals(expected.codes(), fresh.wq.quantized().codes(), context);
            assertArrayEquals(expected.dequantize().data(), fresh.wq.get(), context);
            assertTrue(Arrays.equals(b.wq.get(), fresh.wq.get()), context);
        }
    }
}
