package dev.quant4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quant4j.calibrate.HistogramObserver;
import dev.quant4j.io.Dtype;
import dev.quant4j.io.SafetensorsFormatException;
import dev.quant4j.io.SafetensorsWriter;
import dev.quant4j.io.TensorSpec;
import dev.quant4j.kernels.Gemm;
import dev.quant4j.kernels.Int8Activations;
import dev.quant4j.kernels.Parallelism;
import dev.quant4j.scheme.QuantScheme;
import dev.quant4j.tensor.FloatTensor;
import dev.quant4j.testing.TestFloats;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare -> calibrate -> convert on a two-layer model; its static scales saved, loaded and run again. */
class StaticModelTest {
    static final int IN = 24;
    static final int HIDDEN = 16;

    /** Two linear layers: {@code first} static (percentile), {@code second} static (minmax), no bias. */
    static final class TwoLayers {
        QuantizableTensor first;
        QuantizableTensor second;
        QuantizableTensor plain;
    }

    private static final QuantScheme FIRST = QuantScheme.parse("q8s:block8:f32:u32:a8static:percentile");
    private static final QuantScheme SECOND = QuantScheme.parse("q4s:block8:f32:u32:a8static:minmax");
    private static final QuantScheme PLAIN = QuantScheme.parse("q8s:block8:f32:u32");

    static {
        ModelVisitors.register(TwoLayers.class, new TestVisitor<>(TwoLayers.class) {
            @Override
            public void visit(TwoLayers m, String path, WeightVisitor v) {
                v.weight(WeightField.tensor(ModelPaths.child(path, "first"), FIRST, () -> m.first, t -> m.first = t));
                v.weight(WeightField.tensor(
                        ModelPaths.child(path, "second"), SECOND, () -> m.second, t -> m.second = t));
                v.weight(WeightField.tensor(ModelPaths.child(path, "plain"), PLAIN, () -> m.plain, t -> m.plain = t));
            }
        });
    }

    @TempDir
    Path dir;

    private static TwoLayers built(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        TwoLayers m = new TwoLayers();
        m.first = QuantizableTensor.of(gaussian(r, HIDDEN * IN), HIDDEN, IN);
        m.second = QuantizableTensor.of(gaussian(r, HIDDEN * HIDDEN), HIDDEN, HIDDEN);
        m.plain = QuantizableTensor.of(gaussian(r, 8), 1, 8);
        return m;
    }

    /** The forward pass; with a calibrator it also records each layer's input (the calibrate step). */
    private static float[] run(
            TwoLayers m, ActivationScales scales, ActivationCalibrator calibrator, float[] x, int tokens) {
        float[] h = layer("first", m.first, scales, calibrator, x, tokens, IN);
        for (int i = 0; i < h.length; i++) {
            h[i] = Math.max(0f, h[i]);
        }
        return layer("second", m.second, scales, calibrator, h, tokens, HIDDEN);
    }

    private static float[] layer(
            String path,
            QuantizableTensor w,
            ActivationScales scales,
            ActivationCalibrator calibrator,
            float[] x,
            int tokens,
            int cols) {
        float[] y = new float[tokens * HIDDEN];
        if (calibrator != null) {
            calibrator.observe(path, x, 0, x.length);
            Gemm.active().matmul(w.quantized(), x, tokens, y, Parallelism.single());
        } else {
            Int8Activations a = Gemm.active().quantizeActivationsStatic(x, tokens, cols, scales.require(path));
            Gemm.active().matmulInt8(w.quantized(), a, y, Parallelism.single());
        }
        return y;
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        return TestFloats.of(n, r::nextGaussian);
    }

    private ActivationScales calibrated(TwoLayers m) {
        ActivationCalibrator calibrator = ActivationCalibrator.forModel(m);
        SplittableRandom r = new SplittableRandom(5);
        for (int s = 0; s < 20; s++) {
            int tokens = 1 + r.nextInt(12);
            run(m, null, calibrator, gaussian(r, tokens * IN), tokens);
        }
        return calibrator.freeze();
    }

    @Test
    void aStaticModelSavedLoadedAndRunGivesTheSameOutputs() throws Exception {
        TwoLayers m = built(1);
        Quantization.quantizeWeights(m);
        ActivationScales scales = calibrated(m);
        assertEquals(List.of("first", "second"), List.copyOf(scales.asMap().keySet()));
        assertTrue(scales.require("first") > 0f && scales.require("second") > 0f, scales.toString());
        Path file = dir.resolve("static.safetensors");
        ModelFiles.save(m, file, Map.of(), scales);

        TwoLayers loaded = new TwoLayers();
        ModelFiles.load(loaded, file);
        ActivationScales loadedScales =
                ModelFiles.loadActivationScales(loaded, file).checkCovers(loaded);
        assertEquals(scales, loadedScales);
        SplittableRandom r = new SplittableRandom(9);
        for (int s = 0; s < 10; s++) {
            int tokens = 1 + r.nextInt(12);
            float[] x = gaussian(r, tokens * IN);
            assertArrayEquals(run(m, scales, null, x, tokens), run(loaded, loadedScales, null, x, tokens));
        }
    }

    @Test
    void theFrozenScaleIsTheObserversScale() {
        TwoLayers m = built(2);
        Quantization.quantizeWeights(m);
        ActivationCalibrator calibrator = ActivationCalibrator.forModel(m);
        HistogramObserver alone = HistogramObserver.percentile();
        SplittableRandom r = new SplittableRandom(6);
        for (int s = 0; s < 5; s++) {
            float[] x = gaussian(r, 3 * IN);
            alone.observe(x, 0, x.length);
            run(m, null, calibrator, x, 3);
        }
        assertEquals(alone.scale(), calibrator.freeze().require("first"));
    }

    @Test
    void aModelWithoutScalesRefusesToRunNamingTheField() throws Exception {
        TwoLayers m = built(3);
        Quantization.quantizeWeights(m);
        Path file = dir.resolve("no-scales.safetensors");
        ModelFiles.save(m, file);
        TwoLayers loaded = new TwoLayers();
        ModelFiles.load(loaded, file);
        ActivationScales none = ModelFiles.loadActivationScales(loaded, file);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> none.checkCovers(loaded));
        assertTrue(
                e.getMessage()
                        .contains("weight 'first' is declared with static activations (a8static) but has no"
                                + " frozen activation scale ('first.__activation_scale' is missing)"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> run(loaded, none, null, new float[IN], 1));
    }

    @Test
    void aScaleForAFieldThatIsNotStaticIsRefused() throws Exception {
        TwoLayers m = built(4);
        Quantization.quantizeWeights(m);
        ActivationScales wrong = new ActivationScales(Map.of("plain", 0.5f));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelFiles.save(m, dir.resolve("x.safetensors"), Map.of(), wrong));
        assertTrue(
                e.getMessage()
                        .contains("'plain.__activation_scale' is an activation scale for weight 'plain',"
                                + " whose activations are NONE, not STATIC"),
                e.getMessage());
    }

    @Test
    void aMalformedScaleTensorIsRefusedNamingIt() throws Exception {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(
                file,
                Map.of(),
                List.of(TensorSpec.floats(
                        "first.__activation_scale", FloatTensor.of(new float[] {1f, 2f}, 2), Dtype.F32)));
        SafetensorsFormatException e = assertThrows(
                SafetensorsFormatException.class, () -> ModelFiles.loadActivationScales(new TwoLayers(), file));
        assertTrue(
                e.getMessage().contains("tensor 'first.__activation_scale'")
                        && e.getMessage().contains("must be an F32 tensor of shape [1], got F32 [2]"),
                e.getMessage());

        Path nan = dir.resolve("nan.safetensors");
        SafetensorsWriter.write(
                nan,
                Map.of(),
                List.of(TensorSpec.floats(
                        "first.__activation_scale", FloatTensor.of(new float[] {Float.NaN}, 1), Dtype.F32)));
        IllegalArgumentException n = assertThrows(
                IllegalArgumentException.class, () -> ModelFiles.loadActivationScales(new TwoLayers(), nan));
        assertTrue(n.getMessage().contains("activation scale of weight 'first' is NaN"), n.getMessage());
    }

    @Test
    void calibratorsMergeAndRefuseFieldsThatAreNotStatic() {
        TwoLayers m = built(5);
        ActivationCalibrator a = ActivationCalibrator.forModel(m);
        a.merge(ActivationCalibrator.forModel(m)); // percentile and minmax merge
        assertThrows(IllegalArgumentException.class, () -> a.observe("plain", new float[1], 0, 1));
    }
}
